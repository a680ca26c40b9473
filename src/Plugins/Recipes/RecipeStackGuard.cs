using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Makes runaway recursion in a recipe an ordinary exception. A real stack overflow ends a .NET process with no way
/// to catch it (a native trace, exit code 134), so before compiling, every method, local function, constructor,
/// accessor, operator and lambda of the recipe gets <c>RuntimeHelpers.EnsureSufficientExecutionStack()</c> as its
/// first statement: it throws <see cref="InsufficientExecutionStackException"/> while there is still stack left, and
/// the host reports "recipe overflowed the stack". Expression bodies become one-line blocks, so every line of the
/// recipe keeps its number (diagnostics and stack traces still point at the recipe's own lines).
/// <para>
/// Not covered: expression-bodied properties and indexers, and recursion that happens entirely inside library or
/// plugin code the recipe calls (that code is not rewritten); those still end the process.
/// </para>
/// </summary>
static class RecipeStackGuard
{
    const string Guard = "global::System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack()";

    /// <summary>
    /// The tree with guards inserted. <paramref name="model"/> (of the unguarded tree) tells whether an
    /// expression-bodied lambda returns a value; it is only consulted for lambdas whose body could be either.
    /// </summary>
    public static SyntaxTree Insert(SyntaxTree tree, Func<SemanticModel> model)
    {
        var root = new Rewriter(new Lazy<SemanticModel>(model)).Visit(tree.GetRoot());
        return tree.WithRootAndOptions(root, tree.Options);
    }

    sealed class Rewriter(Lazy<SemanticModel> model) : CSharpSyntaxRewriter
    {
        static StatementSyntax GuardStatement() => ParseStatement(Guard + ";");

        static BlockSyntax Guarded(BlockSyntax block) =>
            block.WithOpenBraceToken(block.OpenBraceToken.WithTrailingTrivia())
                 .WithStatements(block.Statements.Insert(0, GuardStatement().WithTrailingTrivia(block.OpenBraceToken.TrailingTrivia)));

        /// <summary><c>=&gt; e;</c> as <c>{guard; return e;}</c> (or <c>{guard; e;}</c>), on the same lines.</summary>
        static BlockSyntax Guarded(ArrowExpressionClauseSyntax arrow, SyntaxToken semicolon, bool returnsValue)
        {
            var e = arrow.Expression;
            StatementSyntax body = e is ThrowExpressionSyntax t
                ? ThrowStatement(Token(SyntaxKind.ThrowKeyword).WithTrailingTrivia(Space), t.Expression, Token(SyntaxKind.SemicolonToken))
                : returnsValue
                    ? ReturnStatement(Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(Space), e, Token(SyntaxKind.SemicolonToken))
                    : ExpressionStatement(e, Token(SyntaxKind.SemicolonToken));
            return Block(
                Token(arrow.ArrowToken.LeadingTrivia, SyntaxKind.OpenBraceToken, arrow.ArrowToken.TrailingTrivia),
                List(new[] { GuardStatement(), body }),
                Token(semicolon.LeadingTrivia, SyntaxKind.CloseBraceToken, semicolon.TrailingTrivia));
        }

        static bool ReturnsValue(TypeSyntax returnType, SyntaxTokenList modifiers)
        {
            if (returnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }) return false;
            if (!modifiers.Any(SyntaxKind.AsyncKeyword)) return true;
            var name = returnType switch
            {
                QualifiedNameSyntax q => q.Right,
                AliasQualifiedNameSyntax a => a.Name,
                SimpleNameSyntax s => s,
                _ => null,
            };
            return name is not IdentifierNameSyntax { Identifier.ValueText: "Task" or "ValueTask" };
        }

        public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
        {
            var n = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
            if (n.Body is { } body) return n.WithBody(Guarded(body));
            if (n.ExpressionBody is { } arrow)
                return n.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithBody(Guarded(arrow, n.SemicolonToken, ReturnsValue(n.ReturnType, n.Modifiers)));
            return n;
        }

        public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
        {
            var n = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
            if (n.Body is { } body) return n.WithBody(Guarded(body));
            if (n.ExpressionBody is { } arrow)
                return n.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithBody(Guarded(arrow, n.SemicolonToken, ReturnsValue(n.ReturnType, n.Modifiers)));
            return n;
        }

        public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node)
        {
            var n = (ConstructorDeclarationSyntax)base.VisitConstructorDeclaration(node)!;
            if (n.Body is { } body) return n.WithBody(Guarded(body));
            if (n.ExpressionBody is { } arrow)
                return n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Guarded(arrow, n.SemicolonToken, returnsValue: false));
            return n;
        }

        public override SyntaxNode? VisitOperatorDeclaration(OperatorDeclarationSyntax node)
        {
            var n = (OperatorDeclarationSyntax)base.VisitOperatorDeclaration(node)!;
            if (n.Body is { } body) return n.WithBody(Guarded(body));
            if (n.ExpressionBody is { } arrow)
                return n.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Guarded(arrow, n.SemicolonToken, ReturnsValue(n.ReturnType, n.Modifiers)));
            return n;
        }

        public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
        {
            var n = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
            if (n.Body is { } body) return n.WithBody(Guarded(body));
            if (n.ExpressionBody is { } arrow)
                return n.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithBody(Guarded(arrow, n.SemicolonToken, returnsValue: n.Keyword.IsKind(SyntaxKind.GetKeyword)));
            return n;
        }

        public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
        {
            var n = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
            return n.Block is { } block ? n.WithBody(Guarded(block)) : n;
        }

        public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) =>
            Lambda(node, (LambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!);

        public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) =>
            Lambda(node, (LambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!);

        /// <summary>
        /// Block bodies get the guard. An expression body becomes a guarded block when the original tree's binding
        /// says what the lambda is: left alone when it is an expression tree (a block would not convert) or unbound
        /// (the recipe has errors that the compiler will report).
        /// </summary>
        SyntaxNode Lambda(LambdaExpressionSyntax original, LambdaExpressionSyntax n)
        {
            if (n.Block is { } block) return n.WithBlock(Guarded(block));
            if (n.ExpressionBody is not { } e) return n;
            var m = model.Value;
            if (m.GetTypeInfo(original).ConvertedType is INamedTypeSymbol { Name: "Expression", ContainingNamespace: var ns }
                && ns.ToDisplayString() == "System.Linq.Expressions") return n;
            if (m.GetSymbolInfo(original).Symbol is not IMethodSymbol method) return n;
            var returnsValue = !method.ReturnsVoid && !(method.IsAsync && method.ReturnType is INamedTypeSymbol { IsGenericType: false });
            var arrow = ArrowExpressionClause(Token(SyntaxKind.EqualsGreaterThanToken), e.WithoutTrivia())
                .WithLeadingTrivia(e.GetLeadingTrivia());
            var guarded = Guarded(arrow, Token(SyntaxKind.SemicolonToken), returnsValue)
                .WithLeadingTrivia(e.GetLeadingTrivia()).WithTrailingTrivia(e.GetTrailingTrivia());
            return n.WithExpressionBody(null).WithBlock(guarded);
        }
    }
}

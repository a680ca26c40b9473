// sdxl run recipes/hello.csx --name x [--any key ...]
// Prints the samplers and schedules this run can use (built-ins and plugins) and the arguments it was given.
// Globals: Args, Registry, Stages, Progress, Cancellation, Output (see src/Plugins/Recipes/RecipeGlobals.cs).

var name = Args.Get("name", "world");
Progress.Log($"hello, {name}");

Progress.Log("samplers:");
foreach (var r in Registry.All(ComponentKind.Sampler))
    Progress.Log($"  {r.Name,-22} {r.Origin}");

Progress.Log("discretizations:");
foreach (var r in Registry.All(ComponentKind.Discretization))
    Progress.Log($"  {r.Name,-22} {r.Origin}");

Progress.Log("arguments:");
foreach (var key in Args.Keys)
    Progress.Log($"  --{key} {Args.Raw(key)}");

$"{Registry.Names(ComponentKind.Sampler).Count} samplers, {Args.Keys.Count} arguments"

#!/usr/bin/env bash
# AUTOMATIC1111's documented API examples (its wiki's "API" page: POST /sdapi/v1/txt2img with {"prompt", "steps"}, then
# img2img with the result as init_images, progress, samplers, options) sent with curl to a running `sdxl serve`.
# Usage: scripts/a1111-examples.sh [http://127.0.0.1:7860]   (needs curl and python3 for base64/JSON)
set -euo pipefail
url="${1:-http://127.0.0.1:7860}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
post() { curl -sS -f -X POST "$url$1" -H 'Content-Type: application/json' -d "$2"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "txt2img (the wiki's example payload)"
post /sdapi/v1/txt2img '{"prompt": "puppy dog", "steps": 5}' > "$out/t2i.json"
field "d['images'][0]" < "$out/t2i.json" | base64 -d > "$out/output.png"
file "$out/output.png" | grep -q 'PNG image data, 512 x 512' || { echo "not a 512x512 PNG"; exit 1; }
field "json.loads(d['info'])['infotexts'][0]" < "$out/t2i.json"

echo "img2img with that image as init_images"
printf '{"init_images": ["%s"], "prompt": "a red circle on a blue background", "denoising_strength": 0.5, "steps": 5, "width": 64, "height": 64, "cfg_scale": 2}' \
  "$(field "d['images'][0]" < "$out/t2i.json")" > "$out/i2i-body.json"
curl -sS -f -X POST "$url/sdapi/v1/img2img" -H 'Content-Type: application/json' --data-binary @"$out/i2i-body.json" > "$out/i2i.json"
field "d['images'][0]" < "$out/i2i.json" | base64 -d > "$out/i2i.png"
file "$out/i2i.png" | grep -q 'PNG image data, 64 x 64' || { echo "not a 64x64 PNG"; exit 1; }

echo "samplers: $(curl -sS -f "$url/sdapi/v1/samplers" | field "', '.join(s['name'] for s in d[:6])")"
echo "checkpoint: $(curl -sS -f "$url/sdapi/v1/options" | field "d['sd_model_checkpoint']")"
echo "progress (idle): $(curl -sS -f "$url/sdapi/v1/progress" | field "d['progress']")"
echo "a bad sampler is a 422: $(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/sdapi/v1/txt2img" -H 'Content-Type: application/json' -d '{"sampler_name": "nope"}')"
echo "all A1111 examples answered"

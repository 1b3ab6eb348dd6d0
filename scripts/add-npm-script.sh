#!/usr/bin/env bash
# Adds or replaces one npm script in package.json under a lock (several people may edit it at once).
#   scripts/add-npm-script.sh NAME 'COMMAND'
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/jiaoying-package-json.lock
flock 9
node -e '
const fs = require("fs");
const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
p.scripts[process.argv[1]] = process.argv[2];
fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n");
' "$1" "$2"

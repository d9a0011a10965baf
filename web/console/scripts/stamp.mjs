// Writes BUILD.json beside the built assets: the SHA-256 of the console's sources (every file of web/console but
// node_modules, sorted by path). A test (tests/console/test_build.py) recomputes it in Python, so a change to the
// sources that was not rebuilt and committed fails the suite, with no Node needed to run it.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "..", "..", "src", "twinhub", "console", "static", "BUILD.json");
const skipped = new Set(["node_modules", "dist", ".vite"]);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (skipped.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [relative(root, path).split(sep).join("/")];
  });
}

const hash = createHash("sha256");
for (const path of files(root).sort()) {
  hash.update(path + "\0");
  hash.update(readFileSync(join(root, path)));
  hash.update("\0");
}
writeFileSync(out, JSON.stringify({ sources: hash.digest("hex") }, null, 2) + "\n");

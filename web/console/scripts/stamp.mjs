// Compresses the built scripts and styles (name.gz beside each, served to browsers that accept gzip) and writes
// BUILD.json beside the built assets: the SHA-256 of the console's sources (every file of web/console but
// node_modules, sorted by path). A test (tests/console/test_build.py) recomputes it in Python, so a change to the
// sources that was not rebuilt and committed fails the suite, with no Node needed to run it.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = join(root, "..", "..", "src", "twinhub", "console", "static");
const out = join(built, "BUILD.json");

for (const name of readdirSync(join(built, "assets"))) {
  const path = join(built, "assets", name);
  if (/\.(js|css)$/.test(name) && statSync(path).size > 1024) {
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: constants.Z_BEST_COMPRESSION }));
  }
}
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

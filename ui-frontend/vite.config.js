// Builds the pages into the Python package, where `insightly-connector ui` serves them offline.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig } from "vite";

// The files the bundle is built from; tests/ui/test_built_assets.py hashes the same list the same way, so a
// change to the sources without `make ui-assets` fails the tests instead of shipping stale pages.
const SOURCES = ["index.html", "package-lock.json", "vite.config.js", "src"];

function sourcesDigest(root) {
  const files = [];
  const walk = (path) => {
    const entries = readdirSync(path, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  for (const name of SOURCES) {
    const full = join(root, name);
    if (name.includes(".")) files.push(full);
    else walk(full);
  }
  const hash = createHash("sha256");
  for (const file of files.map((f) => relative(root, f).split("\\").join("/")).sort()) {
    hash.update(file + "\0");
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const recordSources = {
  name: "record-sources",
  generateBundle() {
    this.emitFile({ type: "asset", fileName: "sources.sha256", source: sourcesDigest(import.meta.dirname) + "\n" });
  },
};

export default defineConfig({
  base: "/",
  plugins: [recordSources],
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../insightly_connector/ui/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
    rollupOptions: {
      // Stable names: the server sends no-store, and a rebuild replaces the committed files instead of adding.
      output: { entryFileNames: "assets/app.js", chunkFileNames: "assets/[name].js", assetFileNames: "assets/[name][extname]" },
      // React libraries mark modules "use client"; a plain client bundle has no use for the directive.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});

// Bundles the watch entry the way `sst deploy` bundles the Lambda handlers
// (stacks/tests/deploy/lambda-bundle.test.ts): esbuild, one ESM file for
// Node 20, every dependency inside. The Dockerfile runs this file and the
// deploy test imports it, so the image and the test build the same bundle.
// Usage: node --import tsx services/sampler/watch-bundle.ts <outfile.mjs>
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildResult, build } from 'esbuild';

/** The watch entry point (services/sampler/watch.ts). */
export const WATCH_ENTRY = fileURLToPath(new URL('./watch.ts', import.meta.url));

/** Writes the watch process as one ESM file to `outfile`. */
export function bundleWatch(outfile: string): Promise<BuildResult> {
  return bundleForNode20(WATCH_ENTRY, outfile);
}

/**
 * Bundles `entry` as SST bundles a Lambda handler: one ESM file for Node 20
 * with every dependency inside (the Lambda bundle test uses it too).
 */
export function bundleForNode20(entry: string, outfile: string): Promise<BuildResult> {
  return build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    logLevel: 'silent',
    // CommonJS dependencies inside an ESM bundle call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outfile = process.argv[2];
  if (!outfile) {
    console.error('usage: watch-bundle.ts <outfile.mjs>: expected the path of the bundle to write');
    process.exit(2);
  }
  await bundleWatch(outfile);
  console.error(`watch-bundle: wrote ${outfile}`);
}

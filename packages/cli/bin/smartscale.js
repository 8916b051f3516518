#!/usr/bin/env node
// Runs the TypeScript entry through tsx, so `npx smartscale` needs no build step.
import { register } from 'tsx/esm/api';

// The SDK's notice about its future Node requirement would precede every table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));

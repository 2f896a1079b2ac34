#!/usr/bin/env node
// The `mlhub` command: runs the TypeScript CLI through tsx, so it needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The `mlhub` command: runs the TypeScript CLI through tsx, so it needs no build step.
// Everything is found from this file's own install location (a clone, `npm link` or
// `npm install -g`), never from the current folder: tsx and the CLI's modules resolve from here,
// and tsx is told which tsconfig to use, so a tsconfig.json where the user stands cannot change
// how the CLI is compiled.
import { URL, fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('../cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));

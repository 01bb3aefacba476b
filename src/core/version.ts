/** The version of ops, read from package.json: written in one place only. */
import { createRequire } from 'node:module';

// Compiled to dist/src/core/version.js: package.json is three folders up.
export const VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

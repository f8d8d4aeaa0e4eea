#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: no build step between `npm ci` and use.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');

#!/usr/bin/env node
// Entry point for `switchyard` and `npx switchyard`: runs the compiled CLI from dist/.
import '../dist/cli/main.js';

#!/usr/bin/env node
import { runAsProcess } from '../dist/src/cli.js';

await runAsProcess();

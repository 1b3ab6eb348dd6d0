import { basename, dirname } from 'node:path';
import { startTracing } from './tracing';

/**
 * The first import of every service's main.ts: starts the trace SDK before anything loads http.
 * The service is named by its folder (dist/apps/<service>/main.js).
 */
startTracing(basename(dirname(require.main?.filename ?? 'service')));

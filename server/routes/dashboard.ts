import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

interface Asset { type: string; file: string }

const here = (name: string): string => fileURLToPath(new URL(`../dashboard/${name}`, import.meta.url));
// Resolved through node_modules from this file, so the server works from any working directory.
const uplot = (name: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

/** URL path -> file: the page, its script and style, and uPlot, all served from here (the page needs no network). */
const ASSETS: Record<string, Asset> = {
  '/': { type: 'text/html; charset=utf-8', file: here('index.html') },
  '/dashboard/dashboard.js': { type: 'text/javascript; charset=utf-8', file: here('dashboard.js') },
  '/dashboard/dashboard.css': { type: 'text/css; charset=utf-8', file: here('dashboard.css') },
  '/dashboard/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', file: uplot('uPlot.iife.min.js') },
  '/dashboard/uPlot.min.css': { type: 'text/css; charset=utf-8', file: uplot('uPlot.min.css') },
};

// Same-origin only: the page talks to this server and nothing else. uPlot sizes its elements with inline styles.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** GET / and its assets: the dashboard page (server/dashboard/), read once at boot so a missing file fails the start. */
export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  for (const [url, asset] of Object.entries(ASSETS)) {
    const body = await fs.readFile(asset.file);
    app.get(url, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('content-security-policy', CSP).send(body),
    );
  }
};

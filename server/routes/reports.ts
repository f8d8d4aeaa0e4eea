import type { FastifyPluginAsync } from 'fastify';
import { MaasflowError } from '../../engine/errors.ts';
import type { ControlPlane } from '../control-plane.ts';
import { idParam, positiveIntParam } from '../validate.ts';

const CHART_NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$';

/**
 * Cycle reports: the list, one report as JSON, its Markdown alone (at
 * `report.md`, so the Markdown's relative `charts/NAME` links resolve) and
 * each chart as SVG.
 */
export function reportRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/reports', async () => control.reports.list());

    app.get('/v1/reports/:cycle', async (request) => control.reports.get(positiveIntParam('GET /v1/reports/:cycle', request.params, 'cycle')));

    app.get('/v1/reports/:cycle/report.md', async (request, reply) => {
      const report = await control.reports.get(positiveIntParam('GET /v1/reports/:cycle/report.md', request.params, 'cycle'));
      return reply.type('text/markdown; charset=utf-8').send(report.markdown);
    });

    app.get('/v1/reports/:cycle/charts/:name', async (request, reply) => {
      const route = 'GET /v1/reports/:cycle/charts/:name';
      const cycle = positiveIntParam(route, request.params, 'cycle');
      const name = idParam(route, request.params, 'name', CHART_NAME);
      const { charts } = await control.reports.get(cycle);
      const svg = Object.hasOwn(charts, name) ? charts[name] : undefined;
      if (svg === undefined) throw new MaasflowError('NOT_FOUND', `${route}: report ${cycle} has no chart "${name}" (charts: ${Object.keys(charts).join(', ') || 'none'})`);
      // An SVG opened directly is a document that could run script: forbid it.
      return reply
        .type('image/svg+xml; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('x-content-type-options', 'nosniff')
        .send(svg);
    });
  };
}

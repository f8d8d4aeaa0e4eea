import type { FastifyPluginAsync } from 'fastify';
import { EXPERIMENT_ID_PATTERN, EXPERIMENT_SPEC_SCHEMA } from '../../control/teacher/experiment-spec.ts';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck, idParam, REASON } from '../validate.ts';

const STOP = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: REASON } } as const;
/** Start takes no body; one may be sent as `{}`. */
const EMPTY = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * Experiments: list, create (the JSON form of a spec file, checked against the
 * spec schema here and its cross-field rules by the control plane), start,
 * stop, and the Teacher's results.
 */
export function experimentRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    const createBody = bodyCheck<unknown>('POST /v1/experiments', EXPERIMENT_SPEC_SCHEMA);
    const startBody = bodyCheck<Record<string, never>>('POST /v1/experiments/:id/start', EMPTY, { whenAbsent: {} });
    const stopBody = bodyCheck<{ reason: string }>('POST /v1/experiments/:id/stop', STOP);
    const id = (route: string, params: unknown): string => idParam(route, params, 'id', EXPERIMENT_ID_PATTERN);

    app.get('/v1/experiments', async () => control.experiments.list());

    app.get('/v1/experiments/:id/results', async (request) => control.experiments.results(id('GET /v1/experiments/:id/results', request.params)));

    app.post('/v1/experiments', async (request) => {
      const by = initiatorOf(request);
      return control.experiments.create(createBody(request.body), by);
    });

    app.post('/v1/experiments/:id/start', async (request) => {
      const route = 'POST /v1/experiments/:id/start';
      const by = initiatorOf(request);
      const experiment = id(route, request.params);
      startBody(request.body);
      return control.experiments.start(experiment, by);
    });

    app.post('/v1/experiments/:id/stop', async (request) => {
      const route = 'POST /v1/experiments/:id/stop';
      const by = initiatorOf(request);
      const experiment = id(route, request.params);
      const { reason } = stopBody(request.body);
      return control.experiments.stop(experiment, by, reason);
    });
  };
}

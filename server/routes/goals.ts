import type { FastifyPluginAsync } from 'fastify';
import { GOAL_SCHEMA } from '../../control/manager/goals.ts';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck } from '../validate.ts';

/** The Manager's goal: read it, replace it (one schema with the Manager, control/manager/goals.ts; it checks the rules a schema cannot, too). */
export function goalRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    const goalBody = bodyCheck<unknown>('PUT /v1/goals', GOAL_SCHEMA);
    app.get('/v1/goals', async () => control.goals.get());
    app.put('/v1/goals', async (request) => {
      const by = initiatorOf(request);
      return control.goals.set(goalBody(request.body), by);
    });
  };
}

import type { FastifyPluginAsync } from 'fastify';
import type { CycleType } from '../../control/types.ts';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck } from '../validate.ts';

const RUN = { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { enum: ['micro', 'macro', 'deep'] } } } as const;

/** Cycles: what each one did, and running one now (the response comes when it is done; 409 while another runs). */
export function cycleRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    const runBody = bodyCheck<{ type: CycleType }>('POST /v1/cycles', RUN);
    app.get('/v1/cycles', async () => control.cycles.list());
    app.post('/v1/cycles', async (request) => {
      const by = initiatorOf(request);
      const { type } = runBody(request.body);
      return control.cycles.run(type, by);
    });
  };
}

import type { FastifyPluginAsync } from 'fastify';
import type { CycleType } from '../../control/types.ts';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck } from '../validate.ts';

const RUN = { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { enum: ['micro', 'macro', 'deep'] } } } as const;
const STOP = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } } as const;

/** Cycles: what each one did, and running one now (the response comes when it is done; 409 while another runs). */
export function cycleRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    const runBody = bodyCheck<{ type: CycleType }>('POST /v1/cycles', RUN);
    app.get('/v1/cycles', async () => control.cycles.list());
    const stopBody = bodyCheck<{ reason?: string }>('POST /v1/cycles/stop', STOP);
    app.post('/v1/cycles', async (request) => {
      const by = initiatorOf(request);
      const { type } = runBody(request.body);
      return control.cycles.run(type, by);
    });
    // the emulator run of the running cycle stops; the cycle answers its own POST without adopting anything
    app.post('/v1/cycles/stop', async (request) => {
      const by = initiatorOf(request);
      const { reason } = stopBody(request.body);
      return control.cycles.stop(by, reason ?? 'stopped on request');
    });
  };
}

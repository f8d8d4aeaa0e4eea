import { openLoop, gridBest, trueQ, WORST } from './test/control/manager/loop-support.ts';
const best = gridBest(WORST);
console.log('grid', best.q, best.points, JSON.stringify(best.params));
const loop = await openLoop({ log: (l) => console.log(l) });
const t = performance.now();
for (const type of ['deep', 'macro', 'macro', 'macro', 'macro', 'macro', 'macro', 'macro', 'macro', 'macro'] as const) {
  const c0 = performance.now();
  await loop.manager.cycles.run(type, 'test');
  const a = await loop.manager.tuner.active();
  console.log('>>', type, a.version, trueQ(a.params), ((performance.now() - c0) / 1000).toFixed(1), 's', JSON.stringify(a.params));
}
console.log('total', (performance.now() - t) / 1000);
await loop.close();

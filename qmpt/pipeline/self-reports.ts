/**
 * Self-reports from a JSON file (`maasflow qmpt score --self-reports`):
 * `{ "<pattern_id>": { "anomaly"?: x, "reflexivity"?: x, "confidence"?: x } }`,
 * each value in [0, 1] (docs/QMPT.md §5). Errors name the file and the entry.
 */
import fs from 'node:fs';
import { MaasflowError } from '../../engine/errors.ts';
import { cannotRead } from '../data/files.ts';
import { checkSelfReport, type SelfReport } from '../metrics/self-operator.ts';

const CHECK = 'self-report';

export function loadSelfReports(file: string): Map<string, SelfReport> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw cannotRead(file, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MaasflowError('RECORD_DECODE', `${file}: invalid JSON (${(err as Error).message})`, { cause: err, location: { file } });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MaasflowError('RECORD_VALIDATE', `${file}: must be a JSON object { "<pattern_id>": { anomaly?, reflexivity?, confidence? } }`, { location: { file } });
  }
  const out = new Map<string, SelfReport>();
  for (const [id, report] of Object.entries(value as Record<string, unknown>)) {
    const where = { location: { file, path: `/${id}` } };
    let checked: SelfReport | null;
    try {
      checked = checkSelfReport(CHECK, report);
    } catch (err) {
      if (!(err instanceof MaasflowError)) throw err;
      // "self-report: selfReports.anomaly = 3 must be ..." → "anomaly = 3 must be ...", placed by file and entry
      throw new MaasflowError(err.code, err.message.replace(`${CHECK}: `, '').replace(/^selfReports\.?/, '').replace(/^ /, ''), { ...where, cause: err });
    }
    if (checked === null) throw new MaasflowError('RECORD_VALIDATE', 'must be an object { anomaly?, reflexivity?, confidence? }, got null', where);
    out.set(id, checked);
  }
  return out;
}

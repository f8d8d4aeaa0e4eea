/**
 * In-process consumer groups. The members of one (group, topic) split the
 * topic's partitions with range assignment over members sorted by id:
 * with P partitions and M members, member i gets a contiguous range of
 * floor(P/M) partitions, the first P % M members one extra. Every join or
 * leave rebalances and calls every member's onAssign with its new list.
 */
import { MaasflowError } from '../../engine/errors.ts';

export type AssignCallback = (partitions: number[]) => void;

interface GroupState {
  readonly partitions: number;
  readonly members: Map<string, AssignCallback>;
  generation: number;
}

/** Range assignment; exported for tests and documentation. */
export function rangeAssign(memberIds: readonly string[], partitions: number): Map<string, number[]> {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = new Map<string, number[]>();
  const m = sorted.length;
  const per = m === 0 ? 0 : Math.floor(partitions / m);
  const extra = m === 0 ? 0 : partitions % m;
  let next = 0;
  sorted.forEach((id, i) => {
    const count = per + (i < extra ? 1 : 0);
    const list: number[] = [];
    for (let k = 0; k < count; k++) list.push(next++);
    out.set(id, list);
  });
  return out;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, GroupState>();

  private static key(group: string, topic: string): string {
    return `${group}\u0000${topic}`;
  }

  join(group: string, topic: string, partitions: number, memberId: string, onAssign: AssignCallback): { leave(): void } {
    if (typeof group !== 'string' || group.length === 0) throw new MaasflowError('LOG_BAD_ARGUMENT', 'group must be a non-empty string');
    if (typeof memberId !== 'string' || memberId.length === 0) throw new MaasflowError('LOG_BAD_ARGUMENT', 'memberId must be a non-empty string');
    if (typeof onAssign !== 'function') throw new MaasflowError('LOG_BAD_ARGUMENT', 'onAssign must be a function');
    const key = GroupCoordinator.key(group, topic);
    let state = this.groups.get(key);
    if (!state) {
      state = { partitions, members: new Map(), generation: 0 };
      this.groups.set(key, state);
    }
    if (state.members.has(memberId)) {
      throw new MaasflowError('LOG_BAD_ARGUMENT', `member ${memberId} already joined group ${group} on topic ${topic}`);
    }
    state.members.set(memberId, onAssign);
    const joined = state;
    this.rebalance(joined);
    let left = false;
    return {
      leave: (): void => {
        if (left) return;
        left = true;
        if (joined.members.get(memberId) !== onAssign) return;
        joined.members.delete(memberId);
        if (joined.members.size === 0 && this.groups.get(key) === joined) this.groups.delete(key);
        this.rebalance(joined);
      },
    };
  }

  /** Current members of a group on a topic, sorted. */
  members(group: string, topic: string): string[] {
    const state = this.groups.get(GroupCoordinator.key(group, topic));
    return state ? [...state.members.keys()].sort() : [];
  }

  /**
   * Tell every member its partitions. A callback that joins or leaves starts
   * a newer generation, which supersedes the rest of this round. Errors
   * thrown by callbacks do not stop the others; the first is rethrown.
   */
  private rebalance(state: GroupState): void {
    const generation = ++state.generation;
    const assignment = rangeAssign([...state.members.keys()], state.partitions);
    const errors: unknown[] = [];
    for (const [id, partitions] of assignment) {
      if (state.generation !== generation) break;
      const cb = state.members.get(id);
      if (!cb) continue;
      try {
        cb(partitions);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} onAssign callbacks failed`);
  }

  clear(): void {
    this.groups.clear();
  }
}

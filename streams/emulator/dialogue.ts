/**
 * One thread as a state machine: `next()` gives the next request, `observe()`
 * takes its response and decides the follow-ups. Every choice draws from the
 * turn's own sub-stream hashSeed(turn_seed, turn), so the request sequence of
 * a thread depends only on (seed, thread index, this thread's answers) — never
 * on how other threads interleave or how long the MaaS takes.
 */
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';
import { SplitMix32, hashSeed } from '../nexmark/prng.ts';
import type { FollowUps } from './config.ts';
import { pick, type FactInstance, type PlannedItem, type ThreadPlan } from './plan.ts';
import { containsAnswer, isUnknownAnswer, joinParts, render } from './text.ts';

export type TurnKind = 'opening' | 'filler' | 'plant' | 'ask' | 'related' | 'replant' | 'reask' | 'retry';

/** How an answer was judged: questions are `correct` / `wrong` / `unknown`; any failed run is `failed`; other turns `none`. */
export type AnswerOutcome = 'correct' | 'wrong' | 'unknown' | 'failed' | 'none';

export interface Turn {
  /** 0-based position in the thread. */
  index: number;
  kind: TurnKind;
  request: ChatRequest;
  /** The fact this turn plants or asks. */
  fact?: FactInstance;
  /** Whether the fact asked was planted in an earlier thread of the user. */
  cross_thread: boolean;
  /** For a retry: the kind of the turn being resent. */
  retry_of?: TurnKind;
}

/** Request fields copied onto every request (the Manager tags runs with its experiment). */
export interface RequestTags {
  experiment_id?: string;
  variant?: string;
  cycle_type?: string;
}

type Pending =
  | PlannedItem
  | { kind: 'related'; fact: FactInstance }
  | { kind: 'replant'; fact: FactInstance; cause: 'unknown' | 'wrong'; cross_thread: boolean }
  | { kind: 'reask'; fact: FactInstance; cross_thread: boolean }
  | { kind: 'retry'; of: Turn };

const QUESTION_KINDS: readonly TurnKind[] = ['ask', 'related', 'reask'];

export class Dialogue {
  private readonly queue: Pending[];
  private readonly followUps: FollowUps;
  private readonly vars: Readonly<Record<string, string>>;
  /** Facts this thread may ask: planted earlier here, or (if allowed) in earlier threads. */
  private readonly askable: Map<string, FactInstance>;
  private readonly asked = new Set<string>();
  /** Facts already given a re-plant cycle (one each, so a thread always ends). */
  private readonly replanted = new Set<string>();
  /** Fillers already said here: a person does not ask the same small question twice in one conversation. */
  private readonly fillersUsed = new Set<string>();
  private current: { turn: Turn; rng: SplitMix32 } | undefined;
  private awaiting = false;
  private ack = false;
  private turnCount = 0;

  constructor(
    readonly plan: ThreadPlan,
    private readonly options: { unknownMarkers: readonly string[]; tags?: RequestTags },
  ) {
    this.queue = [...plan.items];
    this.followUps = plan.scenario.follow_ups;
    this.vars = { goal: plan.scenario.goal, topic: plan.scenario.topic, name: plan.user.persona.name };
    this.askable = new Map(plan.known_before.map((f) => [f.key, f]));
  }

  /** The next request, or undefined when the thread is over. Call `observe` with its response before asking again. */
  next(): Turn | undefined {
    if (this.awaiting) throw new Error(`dialogue ${this.plan.thread_id}: next() before the response of turn ${this.turnCount - 1} was observed`);
    const item = this.queue.shift();
    if (!item) return undefined;
    const index = this.turnCount++;
    const rng = new SplitMix32(hashSeed(this.plan.turn_seed, index));
    const turn = this.build(item, index, rng);
    this.current = { turn, rng };
    this.awaiting = true;
    return turn;
  }

  /** Judges the response to the current turn and schedules follow-ups; returns the judgement. */
  observe(response: Pick<ChatResponse, 'status' | 'answer'>): AnswerOutcome {
    if (!this.awaiting || !this.current) throw new Error(`dialogue ${this.plan.thread_id}: observe() without a pending turn`);
    this.awaiting = false;
    const { turn, rng } = this.current;
    if (response.status !== 'COMPLETED' || response.answer === null) {
      // Resend once; a retry that fails too is given up, so a broken MaaS cannot loop a thread.
      if (turn.kind !== 'retry') this.queue.unshift({ kind: 'retry', of: turn });
      return 'failed';
    }
    if (turn.fact && (turn.kind === 'plant' || turn.kind === 'replant' || turn.retry_of === 'plant' || turn.retry_of === 'replant')) {
      this.askable.set(turn.fact.key, turn.fact);
    }
    const questionKind = turn.kind === 'retry' ? turn.retry_of : turn.kind;
    if (!turn.fact || !questionKind || !QUESTION_KINDS.includes(questionKind)) return 'none';
    const fact = turn.fact;
    this.asked.add(fact.key);
    if (containsAnswer(response.answer, fact.value)) {
      const related = this.relatedTo(fact);
      if (related && rng.nextDouble() < 0.5) this.queue.unshift({ kind: 'related', fact: related });
      else this.ack = true;
      return 'correct';
    }
    const outcome = isUnknownAnswer(response.answer, this.options.unknownMarkers) ? 'unknown' : 'wrong';
    if (questionKind !== 'reask' && !this.replanted.has(fact.key)) {
      // Restate the fact now and ask again one planned turn later, so the re-ask is not just an echo of the restatement.
      this.replanted.add(fact.key);
      this.queue.unshift({ kind: 'replant', fact, cause: outcome, cross_thread: turn.cross_thread });
      this.queue.splice(Math.min(2, this.queue.length), 0, { kind: 'reask', fact, cross_thread: turn.cross_thread });
    }
    return outcome;
  }

  /** An askable fact of the same category not yet asked nor waiting in the queue. */
  private relatedTo(fact: FactInstance): FactInstance | undefined {
    const queued = new Set(this.queue.flatMap((p) => ('fact' in p ? [p.fact.key] : [])));
    for (const f of this.askable.values()) {
      if (f.category === fact.category && f.key !== fact.key && !this.asked.has(f.key) && !queued.has(f.key)) return f;
    }
    return undefined;
  }

  private build(item: Pending, index: number, rng: SplitMix32): Turn {
    const s = this.plan.scenario;
    const style = this.plan.user.persona.style;
    const t = (templates: readonly string[], extra: Record<string, string> = {}): string => render(pick(rng, templates), { ...this.vars, ...extra });
    let kind: TurnKind = item.kind;
    let body: string;
    let fact: FactInstance | undefined;
    let crossThread = false;
    let retryOf: TurnKind | undefined;
    let evalMeta: ChatRequest['eval'];
    switch (item.kind) {
      case 'opening':
        body = joinParts(pick(rng, style.openers), t(s.openings));
        break;
      case 'filler': {
        const fresh = s.fillers.filter((f) => !this.fillersUsed.has(f));
        const template = pick(rng, fresh.length > 0 ? fresh : s.fillers);
        this.fillersUsed.add(template);
        body = render(template, this.vars);
        break;
      }
      case 'plant':
      case 'replant':
        fact = item.fact;
        crossThread = item.kind === 'replant' && item.cross_thread;
        body = item.kind === 'plant' ? t(s.plant_templates, { statement: fact.statement }) : t(this.followUps[item.cause], { statement: fact.statement });
        evalMeta = { plants: [fact.key] };
        break;
      case 'ask':
      case 'related':
      case 'reask':
        fact = item.fact;
        crossThread = item.kind === 'related' ? !this.plantedHere(fact) : item.cross_thread;
        body = t(item.kind === 'ask' ? s.ask_templates : this.followUps[item.kind], { question: fact.question });
        evalMeta = { golden_facts: [fact.key], golden_answer: fact.value };
        break;
      case 'retry': {
        const of = item.of;
        kind = 'retry';
        retryOf = of.kind === 'retry' ? of.retry_of : of.kind;
        fact = of.fact;
        crossThread = of.cross_thread;
        evalMeta = of.request.eval;
        body = t(this.followUps.failed, { message: of.request.message });
        break;
      }
    }
    // The acknowledgement of a correct answer leads the next message; retries already carry their own lead-in.
    if (this.ack && kind !== 'retry') body = joinParts(t(this.followUps.correct), body);
    this.ack = false;
    if (kind !== 'retry' && rng.nextDouble() < style.closer_rate) body = joinParts(body, pick(rng, style.closers));
    const request: ChatRequest = {
      user_id: this.plan.user.user_id,
      thread_id: this.plan.thread_id,
      message: body,
      client_type: 'emulator',
      message_id: `${this.plan.thread_id}-m${String(index).padStart(3, '0')}`,
      ...this.options.tags,
      ...(evalMeta ? { eval: evalMeta } : {}),
    };
    return { index, kind, request, ...(fact ? { fact } : {}), cross_thread: crossThread, ...(retryOf ? { retry_of: retryOf } : {}) };
  }

  private plantedHere(fact: FactInstance): boolean {
    return this.plan.items.some((p) => p.kind === 'plant' && p.fact.key === fact.key);
  }
}

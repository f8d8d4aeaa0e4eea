/**
 * Deterministic, seeded Nexmark event generator.
 *
 * Follows the reference Nexmark generator (Beam / Flink `GeneratorConfig`,
 * `NexmarkGenerator`, `PersonGenerator`, `AuctionGenerator`, `BidGenerator`):
 *
 * - Event kind by `eventId % 50`: 0 -> Person, 1..3 -> Auction, 4..49 -> Bid
 *   (proportions 1 / 3 / 46).
 * - Ids derived from the event number exactly as in Nexmark
 *   (`lastBase0PersonId`, `lastBase0AuctionId`, `nextBase0PersonId`,
 *   `nextBase0AuctionId`, FIRST_PERSON_ID = FIRST_AUCTION_ID = 1000,
 *   PERSON_ID_LEAD = AUCTION_ID_LEAD = 10, numActivePeople = 1000,
 *   numInFlightAuctions = 100, FIRST_CATEGORY_ID = 10, 5 categories).
 * - Hot auctions / bidders / sellers: hotAuctionRatio 2, hotBiddersRatio 4,
 *   hotSellersRatio 4 (probability of "hot" is 1 - 1/ratio), hot buckets of
 *   100 (HOT_AUCTION_RATIO / HOT_BIDDER_RATIO / HOT_SELLER_RATIO).
 * - Price: `Math.round(10^(u*6) * 100)`.
 * - Event time: `baseTime + floor(eventId * 1000 / firstEventRate)` ms
 *   (default 10,000 events/s, i.e. 0.1 ms per event), optionally jittered
 *   backwards by `floor(u * (outOfOrdernessMs + 1))` with `u` from a separate
 *   (seed, eventId) sub-stream, so the jitter is in [0, outOfOrdernessMs] and
 *   does not change any other field (jittered times are clamped at 0).
 *
 * Every event is a pure function of (seed, config, eventId): the PRNG is
 * re-seeded with `hashSeed(seed, eventId)` for each event (as Nexmark does
 * with `new Random(eventId)`), so generation can start at any index and a
 * checkpoint only needs the next event index.
 *
 * Strings are never built per event: names, e-mails, credit cards, item
 * names, descriptions, channels/urls and extras are picked by the PRNG from
 * pools built once (pools are fixed, independent of the seed; extras depend
 * only on `extraBytes`).
 *
 * Draw order per event (documented so other implementations can reproduce it):
 *   Person : name, email, creditCard, city, state, extra
 *   Auction: hotSeller? [seller], category, initialBid, expires, itemName,
 *            description, reserve, extra
 *   Bid    : hotAuction? [auction], hotBidder? [bidder], price,
 *            hotChannel? (hot index | pool index), extra
 */

import { SplitMix32, fmix32, hashSeed } from './prng.ts';

// ---------------------------------------------------------------------------
// Types

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent =
  | { type: 0; person: Person; auction: null; bid: null }
  | { type: 1; person: null; auction: Auction; bid: null }
  | { type: 2; person: null; auction: null; bid: Bid };

export const EVENT_PERSON = 0;
export const EVENT_AUCTION = 1;
export const EVENT_BID = 2;

export interface NexmarkConfig {
  /** Any safe integer; both 32-bit halves are used. */
  seed: number;
  /** Total number of events of a bounded run (`Infinity` for unbounded). */
  events: number;
  /** Events per second of event time (default 10,000 -> 0.1 ms per event). */
  firstEventRate?: number;
  /** Event time of event 0, epoch ms (default 1_700_000_000_000). */
  baseTime?: number;
  /**
   * Max backwards jitter of event time in ms (default 0 = in order). Jittered
   * times are clamped at 0, so event times are never negative.
   */
  outOfOrdernessMs?: number;
  /**
   * Average length of the `extra` string of every event (default 4; 0 gives
   * empty extras). Stands in for Nexmark's avg{Person,Auction,Bid}ByteSize.
   */
  extraBytes?: number;
}

// ---------------------------------------------------------------------------
// Nexmark constants and id logic

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;
export const PERSON_ID_LEAD = 10;
export const AUCTION_ID_LEAD = 10;
export const NUM_ACTIVE_PEOPLE = 1000;
export const NUM_IN_FLIGHT_AUCTIONS = 100;
export const HOT_AUCTION_RATIO = 2;
export const HOT_BIDDERS_RATIO = 4;
export const HOT_SELLERS_RATIO = 4;
/** Size of the "hot" id buckets (Nexmark's HOT_AUCTION_RATIO / HOT_BIDDER_RATIO / HOT_SELLER_RATIO constants). */
export const HOT_BUCKET = 100;
export const HOT_CHANNELS_RATIO = 2;
export const DEFAULT_FIRST_EVENT_RATE = 10_000;
export const DEFAULT_BASE_TIME = 1_700_000_000_000;
export const DEFAULT_EXTRA_BYTES = 4;

/** Events needed for the auction generator to produce numInFlightAuctions auctions. */
const NUM_EVENTS_FOR_AUCTIONS = Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION);

/** Base-0 id of the last person generated at or before `eventId`. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / TOTAL_PROPORTION);
  let offset = eventId - epoch * TOTAL_PROPORTION;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

/** Base-0 id of the last auction generated at or before `eventId` (-1 before the first). */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / TOTAL_PROPORTION);
  let offset = eventId - epoch * TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

// ---------------------------------------------------------------------------
// String pools (built once, from a fixed-seed PRNG)

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const HOT_URLS = HOT_CHANNELS.map((_, i) => `https://www.nexmark.com/hot/${i}/item.htm?query=1`);

const POOL_SIZE = 1024;
const CHANNEL_POOL_SIZE = 1000;
const EXTRA_POOL_SIZE = 256;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function randomString(rng: SplitMix32, maxLength: number): string {
  const len = 1 + rng.nextInt(maxLength);
  let s = '';
  for (let i = 0; i < len; i++) {
    // Nexmark mixes in the occasional space; keep that flavour.
    s += rng.nextInt(13) === 0 ? ' ' : LETTERS[rng.nextInt(26)];
  }
  return s;
}

function exactString(rng: SplitMix32, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += LETTERS[rng.nextInt(26)];
  return s;
}

interface Pools {
  names: string[];
  emails: string[];
  creditCards: string[];
  itemNames: string[];
  descriptions: string[];
  channels: string[];
  urls: string[];
}

function buildPools(): Pools {
  const rng = new SplitMix32(0x4e584d4b); // "NXMK"
  const names: string[] = [];
  for (const f of FIRST_NAMES) for (const l of LAST_NAMES) names.push(`${f} ${l}`);
  const emails: string[] = [];
  const creditCards: string[] = [];
  const itemNames: string[] = [];
  const descriptions: string[] = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    emails.push(`${exactString(rng, 1 + rng.nextInt(7))}@${exactString(rng, 1 + rng.nextInt(5))}.com`);
    let cc = '';
    for (let g = 0; g < 4; g++) {
      if (g > 0) cc += ' ';
      cc += String(1000 + rng.nextInt(9000));
    }
    creditCards.push(cc);
    itemNames.push(randomString(rng, 20));
    descriptions.push(randomString(rng, 100));
  }
  const channels: string[] = [];
  const urls: string[] = [];
  for (let i = 0; i < CHANNEL_POOL_SIZE; i++) {
    channels.push(`channel-${i}`);
    let url = `https://www.nexmark.com/${exactString(rng, 5)}/${exactString(rng, 5)}/${exactString(rng, 5)}/item.htm?query=1`;
    if (rng.nextInt(10) === 0) url += `&channel_id=${String(i).split('').reverse().join('')}`;
    urls.push(url);
  }
  return { names, emails, creditCards, itemNames, descriptions, channels, urls };
}

let pools: Pools | null = null;
function getPools(): Pools {
  if (pools === null) pools = buildPools();
  return pools;
}

const extraPools = new Map<number, string[]>();
/** Pool of extras whose lengths are uniform in [0, 2 * avg] (so average ~avg). */
function getExtraPool(avg: number): string[] {
  let pool = extraPools.get(avg);
  if (pool === undefined) {
    const rng = new SplitMix32(fmix32(0x45585452 ^ avg)); // "EXTR"
    pool = [];
    for (let i = 0; i < EXTRA_POOL_SIZE; i++) pool.push(avg === 0 ? '' : exactString(rng, rng.nextInt(2 * avg + 1)));
    extraPools.set(avg, pool);
  }
  return pool;
}

// ---------------------------------------------------------------------------
// Generator

const TWO_POW_32 = 4294967296;
/** The jitter of event `id` is derived from fmix32(hashSeed(seed, id) ^ JITTER_SALT). */
const JITTER_SALT = 0x5bd1e995;

/**
 * nextPrice = round(10^(6 * x / 2^32) * 100) for a 32-bit draw x, computed as
 * a product of three small tables indexed by bits [31:21], [20:10], [9:0] of
 * x (Math.pow costs ~70 ns; this ~8 ns and fits in L1). It agrees with
 * `Math.round(Math.pow(10, x / 2^32 * 6) * 100)` on every one of 2e7 sampled
 * draws (the product carries only a few ulps of error before rounding).
 */
const PRICE_A = new Float64Array(2048);
const PRICE_B = new Float64Array(2048);
const PRICE_C = new Float64Array(1024);
for (let i = 0; i < 2048; i++) {
  PRICE_A[i] = Math.pow(10, (6 * i) / 2048) * 100;
  PRICE_B[i] = Math.pow(10, (6 * i) / (2048 * 2048));
}
for (let i = 0; i < 1024; i++) PRICE_C[i] = Math.pow(10, (6 * i) / TWO_POW_32);

/** Reference (slow) Nexmark price for a 32-bit draw; used by tests. */
export function referencePrice(x: number): number {
  return Math.round(Math.pow(10, (x / TWO_POW_32) * 6) * 100);
}

/** Table-based price for a 32-bit draw, as used by the generator. */
export function tablePrice(x: number): number {
  return Math.round(PRICE_A[x >>> 21] * PRICE_B[(x >>> 10) & 0x7ff] * PRICE_C[x & 0x3ff]);
}

function seed32(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) | 0;
  return fmix32(fmix32(lo ^ 0x6a09e667) ^ Math.imul(hi, 0x27d4eb2f));
}

export class NexmarkGenerator {
  readonly events: number;
  readonly firstEventRate: number;
  readonly baseTime: number;
  readonly outOfOrdernessMs: number;
  readonly extraBytes: number;

  private readonly seed: number;
  private readonly rng = new SplitMix32();
  private readonly p: Pools;
  private readonly extras: string[];

  constructor(config: NexmarkConfig) {
    const { seed, events } = config;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`nexmark: seed must be a safe integer, got ${seed}`);
    if (!(events === Infinity || (Number.isSafeInteger(events) && events >= 0))) {
      throw new RangeError(`nexmark: events must be a non-negative integer or Infinity, got ${events}`);
    }
    const rate = config.firstEventRate ?? DEFAULT_FIRST_EVENT_RATE;
    if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`nexmark: firstEventRate must be > 0, got ${rate}`);
    const baseTime = config.baseTime ?? DEFAULT_BASE_TIME;
    if (!(Number.isSafeInteger(baseTime) && baseTime >= 0)) {
      throw new RangeError(`nexmark: baseTime must be a non-negative integer (ms), got ${baseTime}`);
    }
    const ooo = config.outOfOrdernessMs ?? 0;
    if (!(Number.isFinite(ooo) && ooo >= 0)) throw new RangeError(`nexmark: outOfOrdernessMs must be >= 0, got ${ooo}`);
    const extraBytes = config.extraBytes ?? DEFAULT_EXTRA_BYTES;
    if (!(Number.isSafeInteger(extraBytes) && extraBytes >= 0 && extraBytes <= 1 << 20)) {
      throw new RangeError(`nexmark: extraBytes must be an integer in [0, 2^20], got ${extraBytes}`);
    }
    this.events = events;
    this.firstEventRate = rate;
    this.baseTime = baseTime;
    this.outOfOrdernessMs = Math.floor(ooo);
    this.extraBytes = extraBytes;
    this.seed = seed32(seed);
    this.p = getPools();
    this.extras = getExtraPool(extraBytes);
  }

  /** In-order (un-jittered) event time of an event. */
  nominalTimestampOf(eventId: number): number {
    return this.baseTime + Math.floor((eventId * 1000) / this.firstEventRate);
  }

  /** Event time of an event (its `dateTime`), jitter included. */
  timestampOf(eventId: number): number {
    const t = this.baseTime + Math.floor((eventId * 1000) / this.firstEventRate);
    if (this.outOfOrdernessMs === 0) return t;
    const u = fmix32(hashSeed(this.seed, eventId) ^ JITTER_SALT);
    const j = t - Math.floor(u * ((this.outOfOrdernessMs + 1) / TWO_POW_32));
    return j < 0 ? 0 : j;
  }

  /** The event with the given index (pure function of seed, config and eventId). */
  eventAt(eventId: number): NexmarkEvent {
    if (!(Number.isSafeInteger(eventId) && eventId >= 0)) {
      throw new RangeError(`nexmark: eventId must be a non-negative integer, got ${eventId}`);
    }
    return this.make(eventId, this.timestampOf(eventId), hashSeed(this.seed, eventId));
  }

  /**
   * Fill up to `max` events starting at event index `from` into
   * `values[0..n)` and `timestamps[0..n)`; returns n (0 at the end of a
   * bounded run). n is also capped by `timestamps.length`.
   */
  generate(from: number, max: number, values: NexmarkEvent[], timestamps: Float64Array): number {
    if (!(Number.isSafeInteger(from) && from >= 0)) {
      throw new RangeError(`nexmark: from must be a non-negative integer, got ${from}`);
    }
    let n = this.events - from;
    if (n > max) n = max;
    if (n > timestamps.length) n = timestamps.length;
    if (!(n > 0)) return 0;
    const baseTime = this.baseTime;
    const rate = this.firstEventRate;
    const ooo = this.outOfOrdernessMs;
    const jitterScale = (ooo + 1) / TWO_POW_32;
    const seed = this.seed;
    for (let i = 0; i < n; i++) {
      const id = from + i;
      const s = hashSeed(seed, id);
      let t = baseTime + Math.floor((id * 1000) / rate);
      if (ooo !== 0) {
        t -= Math.floor(fmix32(s ^ JITTER_SALT) * jitterScale);
        if (t < 0) t = 0;
      }
      timestamps[i] = t;
      values[i] = this.make(id, t, s);
    }
    return n;
  }

  // -------------------------------------------------------------------------

  /** Build event `eventId` with event time `ts` from its sub-stream seed `s`. */
  private make(eventId: number, ts: number, s: number): NexmarkEvent {
    this.rng.seed(s);
    const epoch = Math.floor(eventId / TOTAL_PROPORTION);
    const offset = eventId - epoch * TOTAL_PROPORTION;
    if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      return { type: 2, person: null, auction: null, bid: this.nextBid(epoch, ts) };
    }
    if (offset < PERSON_PROPORTION) {
      return { type: 0, person: this.nextPerson(epoch, ts), auction: null, bid: null };
    }
    return { type: 1, person: null, auction: this.nextAuction(eventId, epoch, offset, ts), bid: null };
  }

  /** Nexmark nextBase0PersonId: an active person or one of the few "lead" ids just ahead. */
  private nextBase0PersonId(lastPerson0: number): number {
    const numPeople = lastPerson0 + 1;
    const active = numPeople < NUM_ACTIVE_PEOPLE ? numPeople : NUM_ACTIVE_PEOPLE;
    return numPeople - active + this.rng.nextInt(active + PERSON_ID_LEAD);
  }

  /** Nexmark nextPrice: round(10^(u * 6) * 100), u = u32 / 2^32 (via PRICE_A/B/C tables). */
  private nextPrice(): number {
    const x = this.rng.nextU32();
    return Math.round(PRICE_A[x >>> 21] * PRICE_B[(x >>> 10) & 0x7ff] * PRICE_C[x & 0x3ff]);
  }

  private nextPerson(epoch: number, ts: number): Person {
    const rng = this.rng;
    const p = this.p;
    // lastBase0PersonId(eventId) for a person event is epoch * PERSON_PROPORTION + 0.
    const id = epoch * PERSON_PROPORTION + FIRST_PERSON_ID;
    const name = p.names[rng.nextInt(p.names.length)];
    const emailAddress = p.emails[rng.nextInt(POOL_SIZE)];
    const creditCard = p.creditCards[rng.nextInt(POOL_SIZE)];
    const city = US_CITIES[rng.nextInt(US_CITIES.length)];
    const state = US_STATES[rng.nextInt(US_STATES.length)];
    const extra = this.extras[rng.nextInt(EXTRA_POOL_SIZE)];
    return { id, name, emailAddress, creditCard, city, state, dateTime: ts, extra };
  }

  private nextAuction(eventId: number, epoch: number, offset: number, ts: number): Auction {
    const rng = this.rng;
    const p = this.p;
    const id = epoch * AUCTION_PROPORTION + (offset - PERSON_PROPORTION) + FIRST_AUCTION_ID;
    const lastPerson0 = epoch * PERSON_PROPORTION + (PERSON_PROPORTION - 1);
    let seller: number;
    if (rng.nextInt(HOT_SELLERS_RATIO) > 0) {
      // Hot seller: the first person of the current bucket of HOT_BUCKET people.
      seller = Math.floor(lastPerson0 / HOT_BUCKET) * HOT_BUCKET;
    } else {
      seller = this.nextBase0PersonId(lastPerson0);
    }
    seller += FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + rng.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    // Auction length averages the time the generator needs to emit numInFlightAuctions auctions.
    const horizonMs =
      Math.floor(((eventId + NUM_EVENTS_FOR_AUCTIONS) * 1000) / this.firstEventRate) -
      Math.floor((eventId * 1000) / this.firstEventRate);
    const expires = ts + 1 + rng.nextLong(horizonMs * 2 > 1 ? horizonMs * 2 : 1);
    const itemName = p.itemNames[rng.nextInt(POOL_SIZE)];
    const description = p.descriptions[rng.nextInt(POOL_SIZE)];
    const reserve = initialBid + this.nextPrice();
    const extra = this.extras[rng.nextInt(EXTRA_POOL_SIZE)];
    return { id, itemName, description, initialBid, reserve, dateTime: ts, expires, seller, category, extra };
  }

  private nextBid(epoch: number, ts: number): Bid {
    const rng = this.rng;
    // For a bid event: last auction is the last of this epoch, last person the one of this epoch.
    const lastAuction0 = epoch * AUCTION_PROPORTION + (AUCTION_PROPORTION - 1);
    const lastPerson0 = epoch * PERSON_PROPORTION + (PERSON_PROPORTION - 1);
    let auction: number;
    if (rng.nextInt(HOT_AUCTION_RATIO) > 0) {
      // Hot auction: the first auction of the current bucket of HOT_BUCKET auctions.
      auction = Math.floor(lastAuction0 / HOT_BUCKET) * HOT_BUCKET;
    } else {
      // Nexmark nextBase0AuctionId: one of the in-flight auctions, plus a few "lead" ids.
      const minAuction = lastAuction0 - NUM_IN_FLIGHT_AUCTIONS > 0 ? lastAuction0 - NUM_IN_FLIGHT_AUCTIONS : 0;
      auction = minAuction + rng.nextInt(lastAuction0 - minAuction + 1 + AUCTION_ID_LEAD);
    }
    auction += FIRST_AUCTION_ID;
    let bidder: number;
    if (rng.nextInt(HOT_BIDDERS_RATIO) > 0) {
      // Hot bidder: the second person of the current bucket (so hot bidders and sellers differ).
      bidder = Math.floor(lastPerson0 / HOT_BUCKET) * HOT_BUCKET + 1;
    } else {
      bidder = this.nextBase0PersonId(lastPerson0);
    }
    bidder += FIRST_PERSON_ID;
    const price = this.nextPrice();
    let channel: string;
    let url: string;
    if (rng.nextInt(HOT_CHANNELS_RATIO) > 0) {
      const i = rng.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i];
      url = HOT_URLS[i];
    } else {
      const i = rng.nextInt(CHANNEL_POOL_SIZE);
      channel = this.p.channels[i];
      url = this.p.urls[i];
    }
    const extra = this.extras[rng.nextInt(EXTRA_POOL_SIZE)];
    return { auction, bidder, price, channel, url, dateTime: ts, extra };
  }
}

/**
 * Operator tooling for dead letters, over the broker's admin surface: list them with why they
 * failed, replay them to the topic they came from (as fresh messages: the retry history is
 * dropped, the event keeps its id, so deduplicating consumers do not double-count), purge.
 */
import type { PayloadEncoding } from './payload-text.js';
import type { Broker, Message, MessageId, ProducerMessage } from '../broker/index.js';
import {
  deadLetterTopicName,
  fullTopicName,
  isBrokerError,
  parseMessageId,
} from '../broker/index.js';
import { FAILURE_PROPERTIES } from './properties.js';
import {
  DLQ_SUFFIX,
  InvalidCursorError,
  decodeCursor,
  describe,
  encodeCursor,
  freshCopy,
  idSet,
  isUpTo,
  targetOf,
} from './dead-letter-letters.js';

export { InvalidCursorError };

export interface DeadLetterFilter {
  /** Original topic, or a dead-letter topic itself (short or full name). */
  topic?: string;
  subscription?: string;
}

export interface DeadLetter {
  deadLetterTopic: string;
  messageId: string;
  key: string | null;
  publishedAt: string;
  reason: {
    error: string | null;
    errorCode: string | null;
    attempts: number | null;
    firstFailureAt: string | null;
    lastFailureAt: string | null;
    originalTopic: string | null;
    originalMessageId: string | null;
    subscription: string | null;
  };
  properties: Record<string, string>;
  /** The payload: its UTF-8 text, or base64 when it is not UTF-8 (see dataEncoding). */
  data: string;
  dataEncoding: PayloadEncoding;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Pass back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface ListOptions extends DeadLetterFilter {
  limit?: number;
  cursor?: string;
  /** Only these dead letters (message ids), in topic order; no cursor then. */
  ids?: string[];
}

/**
 * Sends replayed messages; a ProducerPool-backed function, wrapped in `instrumentedSend` for
 * the publish metrics and a PRODUCER span per replayed message.
 */
export type ReplaySink = (topic: string, message: ProducerMessage) => Promise<MessageId>;

/** Dead letters read per admin call when replaying. */
const PAGE = 200;
/** Replayed letters deleted per admin call. */
const DELETE_CHUNK = 20;

export class DeadLetterAdmin {
  constructor(
    private readonly broker: Broker,
    private readonly send: ReplaySink,
  ) {}

  /**
   * Dead-letter topics matching the filter, sorted. A name alone does not settle a one-sided
   * filter: `user-events-archive-activity-DLQ` starts like a dead-letter topic of `user-events`,
   * and `orders-legacy-activity-DLQ` ends like one of subscription `activity`. So a candidate
   * whose dead letters say they came from another topic or subscription is left out. A `topic`
   * that is itself a dead-letter topic (`<topic>-<subscription>-DLQ`, as the letters show it
   * in `deadLetterTopic`) matches that topic too.
   */
  async topics(filter: DeadLetterFilter = {}): Promise<string[]> {
    const all = await this.broker.admin.listTopics();
    const named = filter.topic ? fullTopicName(filter.topic) : undefined;
    const itself =
      named !== undefined &&
      named.endsWith(DLQ_SUFFIX) &&
      (!filter.subscription || named.endsWith(`-${filter.subscription}${DLQ_SUFFIX}`)) &&
      all.includes(named)
        ? [named]
        : [];
    const owned = await this.owned(all, filter);
    return [...new Set([...itself, ...owned])].sort();
  }

  /** Dead-letter topics of the filter's original topic and subscription. */
  private async owned(all: string[], filter: DeadLetterFilter): Promise<string[]> {
    if (filter.topic && filter.subscription)
      return [deadLetterTopicName(filter.topic, filter.subscription)];
    const prefix = filter.topic ? `${fullTopicName(filter.topic)}-` : '';
    const candidates = all
      .filter((t) => t.endsWith(DLQ_SUFFIX) && t.startsWith(prefix))
      .filter((t) => !filter.subscription || t.endsWith(`-${filter.subscription}${DLQ_SUFFIX}`))
      .sort();
    if (!filter.topic && !filter.subscription) return candidates;
    const owned: string[] = [];
    for (const topic of candidates) if (await this.lettersMatch(topic, filter)) owned.push(topic);
    return owned;
  }

  /** Whether the topic's oldest dead letter records the filter's topic and subscription. */
  private async lettersMatch(topic: string, filter: DeadLetterFilter): Promise<boolean> {
    const [first] = await this.broker.admin.readMessages(topic, { limit: 1 });
    // An empty topic has nothing to list, replay or purge; a letter without our properties
    // (sent by other tooling) can only be judged by its topic's name.
    if (first === undefined) return true;
    const p = first.getProperties();
    const origin = p[FAILURE_PROPERTIES.originalTopic];
    const subscription = p[FAILURE_PROPERTIES.subscription];
    if (filter.topic && origin && fullTopicName(origin) !== fullTopicName(filter.topic))
      return false;
    if (filter.subscription && subscription && subscription !== filter.subscription) return false;
    return true;
  }

  async list(options: ListOptions = {}): Promise<DeadLetterPage> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    const topics = await this.topics(options);
    if (options.ids)
      return { items: await this.find(topics, options.ids, limit), nextCursor: null };
    const cursor = options.cursor ? decodeCursor(options.cursor) : undefined;
    const items: DeadLetter[] = [];
    let last: { topic: string; id: string } | undefined;
    let more = false;
    for (const topic of topics) {
      if (cursor && topic < cursor.topic) continue;
      const after = cursor && topic === cursor.topic ? parseMessageId(cursor.id) : undefined;
      const room = limit - items.length;
      const messages = await this.broker.admin.readMessages(topic, { after, limit: room + 1 });
      for (const m of messages.slice(0, room)) {
        items.push(describe(topic, m));
        last = { topic, id: m.getMessageId().toString() };
      }
      if (messages.length > room) {
        more = true;
        break;
      }
      if (items.length >= limit) {
        more = topics.indexOf(topic) < topics.length - 1;
        break;
      }
    }
    return { items, nextCursor: more && last ? encodeCursor(last) : null };
  }

  /** The dead letters with these ids, at most `limit`, read until every one is found. */
  private async find(topics: string[], ids: string[], limit: number): Promise<DeadLetter[]> {
    const wanted = idSet(ids);
    const found: DeadLetter[] = [];
    for (const topic of topics) {
      for await (const batch of this.pages(topic)) {
        for (const m of batch) {
          if (!wanted.delete(m.getMessageId().toString())) continue;
          found.push(describe(topic, m));
          if (wanted.size === 0 || found.length >= limit) return found;
        }
      }
    }
    return found;
  }

  /**
   * Republishes dead letters to their original topic and deletes them from the dead-letter
   * topic. With `ids`, only those (ids of any matching dead-letter topic); else all that are
   * there when the replay of their topic starts: a replayed message that fails again is
   * dead-lettered anew, after them, and waits for the next replay. Without that bound,
   * replaying letters whose cause persists never ended once a page's replays failed before the
   * next page was read.
   *
   * Each letter is replayed once however many replays run at once. In one process, replays of
   * one dead-letter topic take turns (the later one finds only what the earlier left). Where
   * the broker moves on send (embedded), each letter is sent with `moveFrom`: the transaction
   * that stores the copy deletes the letter, so replays in other processes on the same data
   * dir cannot send it again (theirs fail with UnknownMessageId and are skipped, uncounted),
   * and a replay cut off by a crash or a failed send leaves every letter either replayed or
   * still there, never both, never neither. Elsewhere (Pulsar) letters sent are deleted in
   * groups of DELETE_CHUNK (each delete call reads the topic's backlog, so one per letter was
   * slow): a replay cut off by a crash sends at most that many again next time, a send that
   * fails stops the replay with the letters sent so far deleted, and a replay in another
   * process may send the same letters.
   */
  async replay(
    filter: DeadLetterFilter & { ids?: string[] } = {},
  ): Promise<{ replayed: number; messageIds: string[] }> {
    const wanted = filter.ids ? idSet(filter.ids) : undefined;
    const messageIds: string[] = [];
    for (const topic of await this.topics(filter))
      await oneAtATime(this.broker, topic, () => this.replayTopic(topic, wanted, messageIds));
    return { replayed: messageIds.length, messageIds };
  }

  private async replayTopic(
    topic: string,
    wanted: Set<string> | undefined,
    messageIds: string[],
  ): Promise<void> {
    const until = wanted ? undefined : await this.lastLetters(topic);
    if (until?.size === 0) return;
    const move = this.broker.movesOnSend === true;
    for await (const batch of this.pages(topic, until)) {
      const chosen = batch.filter((m) => !wanted || wanted.has(m.getMessageId().toString()));
      if (move) await this.move(topic, chosen, messageIds);
      else await this.sendThenDelete(topic, chosen, messageIds);
    }
  }

  /** Sends each letter in the transaction that deletes it; one already gone is skipped. */
  private async move(topic: string, letters: Message[], messageIds: string[]): Promise<void> {
    for (const m of letters) {
      const copy = { ...freshCopy(m), moveFrom: { topic, messageId: m.getMessageId() } };
      try {
        messageIds.push((await this.send(targetOf(topic, m), copy)).toString());
      } catch (err) {
        // Replayed by another process meanwhile, or purged: not this replay's to count.
        if (isBrokerError(err, 'UnknownMessageId')) continue;
        throw err;
      }
    }
  }

  private async sendThenDelete(
    topic: string,
    letters: Message[],
    messageIds: string[],
  ): Promise<void> {
    let sent: MessageId[] = [];
    try {
      for (const m of letters) {
        const id = await this.send(targetOf(topic, m), freshCopy(m));
        messageIds.push(id.toString());
        sent.push(m.getMessageId());
        if (sent.length >= DELETE_CHUNK) {
          const done = sent;
          sent = [];
          await this.broker.admin.deleteMessages(topic, done);
        }
      }
    } catch (err) {
      // The letters already sent go; the send's failure is what the caller hears of.
      if (sent.length > 0) await this.broker.admin.deleteMessages(topic, sent).catch(() => 0);
      throw err;
    }
    if (sent.length > 0) await this.broker.admin.deleteMessages(topic, sent);
  }

  /**
   * The id of the topic's newest dead letter in each partition (-1 for a topic that has
   * none): a letter that comes back while a replay runs, into any partition, is past it.
   */
  private async lastLetters(topic: string): Promise<Map<number, MessageId>> {
    const last = new Map<number, MessageId>();
    for await (const batch of this.pages(topic))
      for (const m of batch) last.set(m.getMessageId().partition, m.getMessageId());
    return last;
  }

  /** Deletes dead letters (all matching, or the given ids). */
  async purge(filter: DeadLetterFilter & { ids?: string[] } = {}): Promise<{ deleted: number }> {
    let deleted = 0;
    for (const topic of await this.topics(filter)) {
      if (!filter.ids) {
        deleted += await this.broker.admin.purge(topic);
        continue;
      }
      const ids = filter.ids.map((text) => parseMessageId(text));
      deleted += await this.broker.admin.deleteMessages(topic, ids);
    }
    return { deleted };
  }

  /**
   * The topic's messages in pages, oldest first (partition after partition); with `until`,
   * none after the last id it holds for their partition.
   */
  private async *pages(topic: string, until?: Map<number, MessageId>): AsyncGenerator<Message[]> {
    let after: MessageId | undefined;
    for (;;) {
      const batch = await this.broker.admin.readMessages(topic, { after, limit: PAGE });
      if (batch.length === 0) return;
      after = batch[batch.length - 1].getMessageId();
      const within = until ? batch.filter((m) => isUpTo(m.getMessageId(), until)) : batch;
      if (within.length > 0) yield within;
      if (batch.length < PAGE) return;
    }
  }
}

/** Replays running in this process, by broker and dead-letter topic: the last one's turn. */
const replays = new WeakMap<Broker, Map<string, Promise<void>>>();

/** Runs `fn` after every earlier call for the same broker and topic has ended. */
function oneAtATime<T>(broker: Broker, topic: string, fn: () => Promise<T>): Promise<T> {
  let topics = replays.get(broker);
  if (topics === undefined) replays.set(broker, (topics = new Map()));
  const run = (topics.get(topic) ?? Promise.resolve()).then(fn);
  const turn = run.then(
    () => undefined,
    () => undefined,
  );
  topics.set(topic, turn);
  void turn.then(() => {
    if (topics.get(topic) === turn) topics.delete(topic);
  });
  return run;
}

/**
 * Event pipeline roles and tools: `worker`, `publish`, `consume`, `dlq list|replay|purge`.
 * The tools open the configured broker themselves; in embedded mode that is the SQLite file
 * in the data dir, which they share safely with a service running on it.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Broker, Message, SubscriptionType } from '../../broker/index.js';
import { isBrokerError, MAX_TIMER_DELAY_MS } from '../../broker/index.js';
import { loadConfig } from '../../config/index.js';
import {
  DEAD_LETTER_RETENTION_SUBSCRIPTION,
  DeadLetterAdmin,
  EVENT_PROPERTIES,
  payloadText,
  ProducerPool,
} from '../../messaging/index.js';
import { createBroker } from '../../app/pipeline/create-broker.js';
import { startWorker } from '../../app/pipeline/worker.js';
import { prepareDataDir } from '../../app/startup-paths.js';
import {
  CliArgumentError,
  deadLetterSubscriptionOption,
  integerOption,
  messageIdsOption,
  subscriptionTypeOption,
  topicOption,
} from './args.js';
import { print } from '../output.js';

/** `dlq list` pages through the admin 500 at a time; the total is bounded only to stay sane. */
const MAX_LIST = 1_000_000;

async function withBroker<T>(fn: (broker: Broker) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Only the embedded broker keeps its files in the data dir.
  const dataDir = config.broker === 'embedded' ? prepareDataDir(config) : resolve(config.dataDir);
  const broker = await createBroker(config, dataDir);
  try {
    return await fn(broker);
  } finally {
    await broker.close();
  }
}

function describeMessage(m: Message) {
  return {
    topic: m.getTopicName(),
    messageId: m.getMessageId().toString(),
    key: m.getPartitionKey() ?? null,
    publishedAt: new Date(m.getPublishTimestamp()).toISOString(),
    redeliveryCount: m.getRedeliveryCount(),
    properties: m.getProperties(),
    ...payloadText(m.getData()),
  };
}

interface FilterOpts {
  topic?: string;
  subscription?: string;
  ids?: string[];
}

const filterOf = (o: FilterOpts) => ({
  ...(o.topic ? { topic: o.topic } : {}),
  ...(o.subscription ? { subscription: o.subscription } : {}),
  ...(o.ids ? { ids: o.ids } : {}),
});

export function addPipelineCommands(program: Command): void {
  program
    .command('worker')
    .description('run only the consumers (no HTTP API)')
    .action(async () => {
      await startWorker(loadConfig());
    });

  program
    .command('publish')
    .description('publish one JSON message to a topic; prints its message id')
    .requiredOption('--topic <topic>', 'topic, e.g. user-events', topicOption())
    .option('--key <key>', 'partition / Key_Shared key')
    .argument('<json>', 'message payload (JSON)')
    .action(async (json: string, o: { topic: string; key?: string }) => {
      let payload: unknown;
      try {
        payload = JSON.parse(json);
      } catch {
        throw new CliArgumentError('the payload must be JSON');
      }
      const properties: Record<string, string> = {
        [EVENT_PROPERTIES.contentType]: 'application/json',
      };
      const eventId = (payload as { eventId?: unknown } | null)?.eventId;
      if (typeof eventId === 'string') properties[EVENT_PROPERTIES.eventId] = eventId;
      const id = await withBroker(async (broker) => {
        const producer = await broker.createProducer({ topic: o.topic });
        try {
          return await producer.send({
            data: Buffer.from(JSON.stringify(payload)),
            properties,
            ...(o.key === undefined ? {} : { partitionKey: o.key }),
          });
        } finally {
          await producer.close();
        }
      });
      await print({ topic: o.topic, messageId: id.toString() });
    });

  program
    .command('consume')
    .description('print messages of a subscription as JSON lines, acking each')
    .requiredOption('--topic <topic>', 'topic to read', topicOption())
    .requiredOption('--subscription <name>', 'subscription (created at Earliest if new)')
    .option(
      '--type <type>',
      'Exclusive | Shared | Failover | KeyShared',
      subscriptionTypeOption,
      'Shared',
    )
    .option('--count <n>', 'stop after n messages', integerOption('--count', 1, 1_000_000_000))
    .option(
      '--idle-timeout-ms <ms>',
      'stop after this long without a message (0: as soon as none is waiting)',
      integerOption('--idle-timeout-ms', 0, MAX_TIMER_DELAY_MS),
    )
    .option(
      '--unsubscribe',
      'remove the subscription when done, so the broker stops keeping messages for it',
    )
    .action(
      async (o: {
        topic: string;
        subscription: string;
        type: SubscriptionType;
        count?: number;
        idleTimeoutMs?: number;
        unsubscribe?: boolean;
      }) => {
        if (o.subscription === DEAD_LETTER_RETENTION_SUBSCRIPTION)
          throw new CliArgumentError(
            `--subscription ${DEAD_LETTER_RETENTION_SUBSCRIPTION} is reserved: it keeps dead ` +
              "letters until they are replayed or purged (see 'magnetar dlq list'); use a name of your own",
          );
        await withBroker(async (broker) => {
          const consumer = await broker.subscribe({
            topic: o.topic,
            subscription: o.subscription,
            subscriptionType: o.type,
            subscriptionInitialPosition: 'Earliest',
          });
          let stop = false;
          const onSignal = () => (stop = true);
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          let seen = 0;
          let idleSince = Date.now();
          try {
            while (!stop && (o.count === undefined || seen < o.count)) {
              let m: Message;
              try {
                m = await consumer.receive(200);
              } catch (err) {
                if (!isBrokerError(err, 'Timeout')) throw err;
                if (o.idleTimeoutMs !== undefined && Date.now() - idleSince >= o.idleTimeoutMs)
                  break;
                continue;
              }
              // Acked only once its line is out: a reader gone (EPIPE) ends the loop first.
              if (!(await print(describeMessage(m)))) break;
              await consumer.acknowledge(m);
              seen++;
              idleSince = Date.now();
            }
          } finally {
            if (o.unsubscribe) await consumer.unsubscribe();
            else await consumer.close();
          }
        });
      },
    );

  const dlq = program.command('dlq').description('dead letters: list, replay, purge');
  const filters = (c: Command) =>
    c
      .option('--topic <topic>', 'original topic, or a dead-letter topic itself', topicOption())
      .option('--subscription <name>', 'subscription that gave up', deadLetterSubscriptionOption)
      .option('--ids <ids>', 'comma-separated dead-letter message ids', messageIdsOption);
  const admin = (broker: Broker) => {
    const pool = new ProducerPool(broker);
    return {
      pool,
      admin: new DeadLetterAdmin(broker, async (t, m) => (await pool.get(t)).send(m)),
    };
  };

  filters(dlq.command('list').description('print dead letters with why they failed'))
    .option('--limit <n>', 'most to print', integerOption('--limit', 1, MAX_LIST), 100)
    .action(async (o: FilterOpts & { limit: number }) => {
      await withBroker(async (broker) => {
        const { admin: a } = admin(broker);
        let cursor: string | undefined;
        let left = o.limit;
        do {
          const page = await a.list({ ...filterOf(o), limit: Math.min(left, 500), cursor });
          for (const item of page.items) if (!(await print(item))) return;
          left -= page.items.length;
          cursor = page.nextCursor ?? undefined;
        } while (cursor && left > 0);
      });
    });

  filters(dlq.command('replay').description('send dead letters back to their topic')).action(
    async (o: FilterOpts) => {
      await withBroker(async (broker) => {
        const { admin: a, pool } = admin(broker);
        try {
          await print(await a.replay(filterOf(o)));
        } finally {
          await pool.close();
        }
      });
    },
  );

  filters(dlq.command('purge').description('delete dead letters')).action(async (o: FilterOpts) => {
    await withBroker(async (broker) => {
      await print(await admin(broker).admin.purge(filterOf(o)));
    });
  });
}

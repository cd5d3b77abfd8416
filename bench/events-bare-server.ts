// The baseline for bench/events.ts: bare Fastify with one POST route validating the same event
// body schema with the same validator as the service, answering 202 without a broker.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EventBody } from '../src/app/events/event-schemas.js';
import { createValidatorCompiler } from '../src/http/validation.js';

const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
app.setValidatorCompiler(createValidatorCompiler());
app.post('/events', { schema: { body: EventBody } }, async (_request, reply) =>
  reply
    .code(202)
    .send({ code: 0, message: 'ok', data: { eventId: randomUUID(), messageId: '0:0:-1' } }),
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

// The schema as text, built from the same resolvers as the server but without connecting to anything.
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { MemoryBus } from '../events/bus.js';
import { createResolvers, createServices } from '../services.js';
import { buildAppSchema, printSchemaFile } from './schema.js';

export async function generateSchemaText(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'schema-printing-needs-no-real-secret-000' });
  const services = createServices(config, null, new MemoryBus(), createLogger('silent'));
  const schema = await buildAppSchema(createResolvers(services));
  await services.stop();
  return printSchemaFile(schema);
}

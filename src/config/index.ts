export { parseDotenv } from './dotenv.ts';
export {
  CONFIG_FILE_NAME,
  ConfigError,
  type ConfigOverrides,
  type LoadConfigInput,
  loadConfig,
} from './load-config.ts';
export type { BudgetWindow, ModuleProfile, TollgateConfig } from './schema.ts';
export { moduleProfileSchema, tollgateConfigSchema } from './schema.ts';

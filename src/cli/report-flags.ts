/**
 * The time range and filters shared by the ledger reports (spend, requests, drift). Only types
 * are imported here: command files call `addReportOptions` while `tollgate --help` is being built.
 */
import type { Command } from 'commander';
import type { ReportFilters, RequestStatus } from '../ledger/index.ts';
import { parseListFlag, parseTextFlag, parseTimeFlag, UsageError } from './flags.ts';

export interface ReportFlags {
  since?: string;
  until?: string;
  module?: string;
  user?: string;
  model?: string;
  provider?: string;
  key?: string;
  status?: string;
  db?: string;
  format?: string;
}

export function addDbOption(command: Command): Command {
  return command.option(
    '--db <url>',
    'ledger: a SQLite path or postgres://… (default TOLLGATE_DB, else ./tollgate.db)',
  );
}

export function addReportOptions(command: Command, options: { since?: string; status?: boolean }): Command {
  command
    .option(
      '--since <when>',
      `start: a duration back from now (30m, 24h, 7d) or an ISO date${options.since ? ` (default ${options.since})` : ''}`,
    )
    .option('--until <when>', 'end (exclusive): a duration back from now or an ISO date (default now)')
    .option('--module <names>', 'only these modules (comma-separated)')
    .option('--user <ids>', 'only these end users (comma-separated)')
    .option('--model <ids>', 'only these models (comma-separated)')
    .option('--provider <names>', 'only these providers (comma-separated)')
    .option('--key <ids>', 'only these gateway key ids (comma-separated)');
  if (options.status) {
    command.option(
      '--status <statuses>',
      'only these statuses: ok, error, filtered, cancelled, interrupted, pending',
    );
  }
  return addDbOption(command);
}

export interface ParsedReportFlags {
  since: number | undefined;
  until: number | undefined;
  filters: ReportFilters;
}

export function parseReportFlags(
  flags: ReportFlags,
  now: number,
  defaults: { since?: string; statuses?: readonly RequestStatus[] } = {},
): ParsedReportFlags {
  const since = parseTimeFlag('--since', flags.since ?? defaults.since, now);
  const until = parseTimeFlag('--until', flags.until, now);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError(
      `--since must be before --until (got --since ${flags.since ?? defaults.since} --until ${flags.until}). Example: --since 7d --until 1d`,
    );
  }
  const filters: ReportFilters = {};
  const list = (flag: string, raw: string | undefined) => {
    if (raw !== undefined) parseTextFlag(flag, raw, 'summarize');
    return parseListFlag(flag, raw);
  };
  const module = list('--module', flags.module);
  if (module) filters.module = module;
  const user = list('--user', flags.user);
  if (user) filters.user = user;
  const model = list('--model', flags.model);
  if (model) filters.model = model;
  const provider = list('--provider', flags.provider);
  if (provider) filters.provider = provider;
  const key = list('--key', flags.key);
  if (key) filters.key = key;
  if (defaults.statuses) {
    const status = parseListFlag('--status', flags.status, defaults.statuses);
    if (status) filters.status = status;
  }
  return { since, until, filters };
}

import { describe } from 'vitest';
import { DIALECTS, describeMillionCosts } from '../../test/helpers/ledger-dialects.ts';

// A million random costs summed exactly by each ledger and its rollup. The dialects run at once:
// SQLite works in this process (yielding between chunks), PostgreSQL mostly in its server.
describe.concurrent('bulk', () => {
  for (const dialect of DIALECTS) describeMillionCosts(dialect);
});

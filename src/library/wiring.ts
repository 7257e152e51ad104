import { isAPIError, type OpenRouterClient } from '../client/index.ts';
import type { ModuleProfile } from '../config/index.ts';
import type { FetchGeneration, Ledger } from '../ledger/index.ts';
import { moneyFromUsd } from '../shared/money.ts';

/** Wiring shared by the library facade and the gateway's composition root. */

export /** GET /generation through the client, in the shape the reconciler takes (404 = not there yet). */
function generationFetcher(client: OpenRouterClient): FetchGeneration {
  return async (id, signal) => {
    try {
      const result = await client.generation.get(id, { signal, maxRetries: 0 });
      return { status: 'found', record: result.body };
    } catch (error) {
      if (isAPIError(error) && error.status === 404) return { status: 'not_found' };
      throw error;
    }
  };
}

export /** Module budgets written in the config become ledger budgets (created or updated at open). */
async function syncModuleBudgets(
  ledger: Ledger,
  modules: Readonly<Record<string, ModuleProfile>>,
): Promise<void> {
  for (const [module, profile] of Object.entries(modules)) {
    if (!profile.budget) continue;
    await ledger.budgets.set({
      scope: 'module',
      scopeValue: module,
      window: profile.budget.window,
      limit: moneyFromUsd(profile.budget.limitUsd),
    });
  }
}

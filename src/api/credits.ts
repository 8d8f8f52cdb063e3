import { ApiError } from './errors.js';
import { pickNumber } from './fields.js';
import type { Transport } from './transport.js';

export interface CreditBalance {
  available: number;
  frozen: number;
  total: number;
}

/** Normalise a balance body (protocol §12.14): `available ?? balance`, `frozen ?? 0`, `total ?? …`. */
export function normalizeCredits(data: unknown): CreditBalance | undefined {
  const available = pickNumber(data, 'available', 'balance');
  if (available === undefined) return undefined;
  const frozen = pickNumber(data, 'frozen') ?? 0;
  const total = pickNumber(data, 'total') ?? pickNumber(data, 'total_granted') ?? available + frozen;
  return { available, frozen, total };
}

export class Credits {
  constructor(private readonly transport: Transport) {}

  /** GET /api/credits/balance/simple */
  async get(signal?: AbortSignal): Promise<CreditBalance> {
    const result = await this.transport.json({ method: 'GET', path: '/api/credits/balance/simple', signal });
    const balance = normalizeCredits(result.data);
    if (!balance) {
      throw new ApiError('The credits response had no available/balance field', {
        status: result.status,
        body: result.body,
      });
    }
    return balance;
  }
}

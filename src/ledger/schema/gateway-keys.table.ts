import type {
  BigColumn,
  JsonColumn,
  NullableBigColumn,
  NullableIntColumn,
  NullableText,
} from './column-types.ts';

export interface GatewayKeysTable {
  id: string;
  name: string;
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  /** The first characters of the secret, for display. */
  prefix: string;
  default_module: NullableText;
  default_user: NullableText;
  budget_id: NullableText;
  rpm_limit: NullableIntColumn;
  allowed_models: JsonColumn;
  created_at: BigColumn;
  revoked_at: NullableBigColumn;
}

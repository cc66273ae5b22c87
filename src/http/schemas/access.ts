/**
 * Request and response shapes of tenant admin accounts and tenant API keys.
 * Password hashes and key secrets never appear in a response; a key's secret
 * appears once, in the answer that created it.
 */
import { z } from 'zod';
import { nameText } from '../../ledger/validate.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../portal/passwords.js';
import { tenantParams } from './common.js';

export const accessLevel = z.enum(['read', 'manage']);

export const password = z
  .string()
  .min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`);

export const adminBody = z.strictObject({
  email: z.email('an e-mail address, e.g. "ana@example.com"').max(254),
  displayName: nameText(200),
  password,
  role: accessLevel.default('manage').describe('manage: every change of the tenant; read: look only'),
});

export const adminView = z
  .object({ id: z.string(), tenantId: z.string(), email: z.string(), displayName: z.string(), role: accessLevel, createdAt: z.string() })
  .meta({ id: 'TenantAdmin' });

export const adminParams = tenantParams.extend({ adminId: z.string().regex(/^adm_[0-9a-f]{16}$/, 'an admin id such as "adm_0123456789abcdef"') });
export const passwordBody = z.strictObject({ password });

export const apiKeyBody = z.strictObject({
  name: nameText(100).describe('What the key is for, e.g. "billing export"'),
  scope: accessLevel.describe('read: GET only; manage: changes too'),
});

export const apiKeyView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    scope: accessLevel,
    createdAt: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: 'TenantApiKey' });

export const apiKeyCreated = apiKeyView.extend({
  key: z.string().describe('The secret, shown this once: send it as "Authorization: Bearer <key>"'),
});

export const apiKeyParams = tenantParams.extend({ keyId: z.string().regex(/^key_[0-9a-f]{16}$/, 'a key id such as "key_0123456789abcdef"') });

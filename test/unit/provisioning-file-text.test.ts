/**
 * What a provisioning file must be before its fields are read (issue 11,
 * item 26): text, not a binary file (no raw YAML warning), and phone numbers
 * quoted, since YAML reads an unquoted +4930123456 as the number 4930123456.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseProvisioningFile } from '../../src/ledger/provisioning-file.js';

const plans = [{ sku: 'DOMESTIC', name: 'Domestic', domesticMinutes: 3000, internationalMinutes: 0 }];

describe('provisioning file text', () => {
  it('a binary file gets a clear problem and no YAML warning on the console', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]).toString('utf8');
      const outcome = parseProvisioningFile(binary, plans);
      expect(outcome).toEqual({ ok: false, problems: ['(file): not a text file (a binary file, or text that is not UTF-8); a provisioning file is YAML or JSON text'] });
      expect(warn).not.toHaveBeenCalled();
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      consoleWarn.mockRestore();
    }
  });

  it('an unquoted phone number gets a hint to quote it', () => {
    const outcome = parseProvisioningFile(`
tenants:
  - { id: acme, name: Acme, currency: EUR, country: DE }
users:
  - { id: ann, tenantId: acme, upn: ann@acme, displayName: Ann, usageCountry: DE, number: +4930123456 }
serviceNumbers:
  - { number: 498001234567, tenantId: acme, kind: toll-free, service: conferencing, target: "sip:conf@acme.example" }
`, plans);
    expect(outcome).toEqual({
      ok: false,
      problems: [
        'users[0].number: YAML read this as the number 4930123456 (a "+" or leading 0 is lost); quote phone numbers: number: "+4930123456"',
        'serviceNumbers[0].number: YAML read this as the number 498001234567 (a "+" or leading 0 is lost); quote phone numbers: number: "+498001234567"',
      ],
    });
  });
});

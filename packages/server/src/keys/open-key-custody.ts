import type { ServiceConfig } from '../platform/config/config.ts';
import { KeyCustodyError } from './errors.ts';
import type { KeyCustody } from './key-custody.ts';
import { createSealedCustody } from './sealed-custody.ts';

/** The custody WRIT_KEY_CUSTODY names, ready to make and open keys. */
export async function openKeyCustody(
  config: Pick<ServiceConfig, 'keyCustody' | 'masterKey'>,
): Promise<KeyCustody> {
  switch (config.keyCustody) {
    case 'sealed':
      return createSealedCustody(config.masterKey);
    case 'signer-process':
      // SIGNER-PROCESS BRANCH: helper "signer" connects to keys/signer-process/ here
      // (WRIT_SIGNER_SOCKET, WRIT_SIGNER_SECRET_FILE) and returns its KeyCustody.
      throw new KeyCustodyError('WRIT_KEY_CUSTODY=signer-process is not available in this build');
  }
}

import type { ServiceConfig } from '../platform/config/config.ts';
import { KeyCustodyError } from './errors.ts';
import type { KeyCustody } from './key-custody.ts';
import { createSealedCustody } from './sealed-custody.ts';
import { createSignerProcessCustody } from './signer-process/signer-custody.ts';

/** The custody WRIT_KEY_CUSTODY names, ready to make and open keys. */
export async function openKeyCustody(
  config: Pick<ServiceConfig, 'keyCustody' | 'masterKey' | 'signerProcess'>,
): Promise<KeyCustody> {
  switch (config.keyCustody) {
    case 'sealed':
      return createSealedCustody(config.masterKey);
    case 'signer-process':
      // The keys live in `writ signer` (keys/signer-process/); the service holds handles only.
      if (config.signerProcess === undefined) {
        throw new KeyCustodyError(
          'WRIT_KEY_CUSTODY=signer-process needs WRIT_SIGNER_SOCKET and WRIT_SIGNER_SECRET_FILE',
        );
      }
      return createSignerProcessCustody(config.signerProcess);
  }
}

/**
 * "NAS sees this machine as 192.168.1.20": the address a Synology's Permitted DiskStation devices
 * or a Proxmox firewall rule must name, with a warning when it changed or the master lists
 * another one. On the card and in the clients view.
 */
import type { UpsSnapshot } from '../../../shared/snapshot';
import { formatTimeOfDay } from '../format';
import { AlertIcon, CheckIcon } from '../icons';
import { masterSeesText } from '../ups-facts';

export function MasterSees({ ups }: { ups: Pick<UpsSnapshot, 'masterSees' | 'masterLabel'> }) {
  const line = masterSeesText(ups.masterSees, ups.masterLabel);
  if (line === null) return null;
  const { changedAt } = ups.masterSees;
  return (
    <div
      className={`master-sees tone-${line.tone}`}
      data-testid="master-sees"
      data-address={ups.masterSees.address ?? ''}
      data-check={ups.masterSees.check}
      title={line.title}
    >
      <span className="master-sees-line">
        {line.tone === 'warn' ? (
          <AlertIcon size={14} />
        ) : line.tone === 'ok' ? (
          <CheckIcon size={14} />
        ) : null}{' '}
        {line.text}
      </span>
      {line.note && (
        <span className="master-sees-note" data-testid="master-sees-note">
          {line.note}
          {changedAt !== null && ups.masterSees.previous !== null && (
            <> (seen at {formatTimeOfDay(changedAt)})</>
          )}
        </span>
      )}
    </div>
  );
}

/** "Remove master" in the master editor's save bar, with its confirmation and error. */
import { useState } from 'react';
import { ErrorBox } from '../../components/common';
import { saveConfig } from '../../config-edit';
import { TrashIcon } from '../../icons';
import { useNavigateWhileShown } from '../../router';
import { toast } from '../../store';

export function RemoveMasterControls({
  masterId,
  label,
  saving,
  backHref,
}: {
  /** Null while adding a master: nothing to remove. */
  masterId: string | null;
  label: string | undefined;
  saving: boolean;
  backHref: string;
}) {
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<{ message: string; fix?: string } | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const navigate = useNavigateWhileShown();

  const remove = async () => {
    setRemoving(true);
    const result = await saveConfig((c) => ({
      ...c,
      masters: c.masters.filter((m) => m.id !== masterId),
    }));
    setRemoving(false);
    if (result.ok) {
      toast(`${label ?? masterId} removed.`);
      navigate(backHref);
    } else setRemoveError({ message: result.issues.map((i) => i.message).join(' ') });
  };

  return (
    <>
      <ErrorBox error={removeError} />
      {masterId !== null && (
        <>
          {confirmRemove ? (
            <span className="confirm-remove" role="group" aria-label="Confirm removal">
              Stop monitoring {label}?
              <button
                type="button"
                className="button button-danger"
                onClick={() => void remove()}
                disabled={removing || saving}
                data-testid="confirm-remove-master"
              >
                Remove
              </button>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => setConfirmRemove(false)}
              >
                Keep
              </button>
            </span>
          ) : (
            <button
              type="button"
              className="button button-ghost button-danger-text"
              onClick={() => setConfirmRemove(true)}
              data-testid="remove-master"
            >
              <TrashIcon size={16} /> Remove master
            </button>
          )}
        </>
      )}
    </>
  );
}

import { TabLinks } from '../../components/common';
import { type SettingsSection, href } from '../../router';
import { BackgroundServiceSettings } from './BackgroundServiceSettings';
import { GeneralSettings } from './GeneralSettings';
import { HooksSettings } from './HooksSettings';
import { ImportSettings } from './ImportSettings';
import { MastersList } from './MastersList';
import { NotificationSettings } from './NotificationSettings';
import { ShutdownSettings } from './ShutdownSettings';

const SECTIONS: { id: SettingsSection; label: string }[] = [
  { id: 'masters', label: 'Masters' },
  { id: 'hooks', label: 'Hooks & timers' },
  { id: 'shutdown', label: 'Shutdown' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'import', label: 'Import' },
  { id: 'service', label: 'Background service' },
  { id: 'general', label: 'General' },
];

export function Settings({ section }: { section: SettingsSection }) {
  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          Settings
        </h1>
      </div>
      <TabLinks
        tabs={SECTIONS}
        current={section}
        hrefOf={(id) => href({ name: 'settings', section: id })}
        label="Settings sections"
      />
      <div className="tab-panel">
        {section === 'masters' && <MastersList />}
        {section === 'hooks' && <HooksSettings />}
        {section === 'shutdown' && <ShutdownSettings />}
        {section === 'notifications' && <NotificationSettings />}
        {section === 'import' && <ImportSettings />}
        {section === 'service' && <BackgroundServiceSettings />}
        {section === 'general' && <GeneralSettings />}
      </div>
    </>
  );
}

import { EventLog } from '../components/EventLog';

export function EventsView() {
  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          Events
        </h1>
        <p className="page-sub">Power events, hook runs and connection history of every UPS.</p>
      </div>
      <EventLog title="All events" />
    </>
  );
}

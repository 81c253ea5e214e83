//! Atrium's CRDT sync hub: rooms, the y-websocket protocol, awareness, the durable update log
//! and compaction. No HTTP framework in it: the server hands it frames.

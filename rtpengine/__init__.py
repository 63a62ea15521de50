"""rtpengine: its configuration and our ng-protocol client."""

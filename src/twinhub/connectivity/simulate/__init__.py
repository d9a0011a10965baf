"""`twinhub simulate`: a fleet of simulated devices publishing telemetry over MQTT, for demos and benchmarks.

    sensors.py    what one device measures (pure, seeded)
    fleet.py      devices taking turns, faults on purpose, topics (pure, seeded)
    publisher.py  publishing to a broker at a rate, with acknowledgements counted (paho-mqtt)
    cli.py        the command line
"""

from twinhub.connectivity.simulate.fleet import DEFAULT_TOPIC, FAULTS, Faults, Fleet, FleetInvalid, Outgoing
from twinhub.connectivity.simulate.publisher import Broker, SimulationFailed, SimulationOptions, Stats, simulate

__all__ = ["DEFAULT_TOPIC", "FAULTS", "Broker", "Faults", "Fleet", "FleetInvalid", "Outgoing", "SimulationFailed",
           "SimulationOptions", "Stats", "simulate"]

"""What a simulated device measures: pure and seeded, time is an argument.

Each device has its own character (drawn once from the seed): a base temperature, a humidity level, a
battery charge and a phase. A reading at time `t` (seconds since the epoch) is

    temperature  base + 3 °C diurnal swing (warmest mid-afternoon, local to the device's phase) + slowly
                 wandering noise (AR(1)), and now and then a spike of 8-15 °C for one reading
    humidity     40-60 % base, lower when it is warmer, plus noise, within 0-100 %
    battery      draining by a small amount per reading and per hour, never below 0
    counter      a whole number that only grows (pulses: 0-3 per reading)

rounded as a real sensor reports them. A fault-free reading stays in the ranges above (`RANGES`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

__all__ = ["RANGES", "Device", "Reading"]

DAY_SECONDS: Final = 86_400.0
DIURNAL_SWING_C: Final = 3.0
SPIKE_PROBABILITY: Final = 0.002
BATTERY_DRAIN_PER_READING: Final = 0.001
BATTERY_DRAIN_PER_HOUR: Final = 0.05
# What a fault-free reading can hold (spikes included): out-of-range faults lie outside.
RANGES: Final = {"temperature": (-10.0, 60.0), "humidity": (0.0, 100.0), "battery": (0.0, 100.0)}

Reading = dict[str, float | int]


@dataclass(slots=True)
class Device:
    """One simulated device: its character and the state its readings carry on (noise, battery, counter)."""

    thing_id: str
    base_temperature: float
    base_humidity: float
    battery: float
    phase: float  # a fraction of a day: devices are not all in the same place
    counter: int = 0
    _noise: float = 0.0
    _last_t: float | None = None

    @classmethod
    def create(cls, thing_id: str, rng: random.Random) -> Device:
        return cls(thing_id, base_temperature=rng.uniform(18.0, 24.0), base_humidity=rng.uniform(40.0, 60.0),
                   battery=rng.uniform(60.0, 100.0), phase=rng.uniform(-0.05, 0.05), counter=rng.randrange(1000))

    def read(self, t: float, rng: random.Random) -> Reading:
        """The next reading at time `t`; advances the device's state."""
        hours = 0.0 if self._last_t is None else max(0.0, t - self._last_t) / 3600.0
        self._last_t = t
        day = (t / DAY_SECONDS + self.phase) % 1.0
        diurnal = DIURNAL_SWING_C * math.sin(2 * math.pi * (day - 0.375))  # peak at 15:00
        self._noise = 0.9 * self._noise + rng.gauss(0.0, 0.15)
        temperature = self.base_temperature + diurnal + self._noise
        if rng.random() < SPIKE_PROBABILITY:
            temperature += rng.uniform(8.0, 15.0)
        humidity = min(100.0, max(0.0, self.base_humidity - 1.5 * (diurnal + self._noise) + rng.gauss(0.0, 1.0)))
        self.battery = max(0.0, self.battery - BATTERY_DRAIN_PER_READING - BATTERY_DRAIN_PER_HOUR * hours)
        self.counter += rng.randrange(4)
        return {"temperature": round(temperature, 2), "humidity": round(humidity, 1),
                "battery": round(self.battery, 2), "counter": self.counter}

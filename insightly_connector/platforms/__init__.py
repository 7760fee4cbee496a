"""Platform adapters: the command lines platforms start (Airbyte, Singer), translating their config, catalog
and state to the runner's and back. The runner stays generic; these modules only translate."""

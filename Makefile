# Entry points; each one bootstraps the toolchain first (idempotent, fast when done).
.PHONY: demo test lock-upgrade devnet devnet-status devnet-down config-reference bootstrap lint typecheck deep snapshot bench-chain bench-sequencer bench-ledger

demo:            ## from nothing to the multi-organisation demo: tools, a local network, the workflow
	scripts/bootstrap
	.venv/bin/chaindomain demo

test:            ## pytest + forge test + ruff (the CI command)
	scripts/test

devnet:          ## the local network (anvil, contract, domain, 3 participants), until Ctrl-C
	scripts/bootstrap
	.venv/bin/chaindomain devnet up

devnet-status:
	.venv/bin/chaindomain devnet status

devnet-down:
	.venv/bin/chaindomain devnet down

config-reference: ## regenerate docs/configuration.md from the node config models
	.venv/bin/python scripts/gen_config_reference

bootstrap:
	scripts/bootstrap

lock-upgrade:    ## re-resolve uv.lock to the newest allowed releases, install it, regenerate the gRPC stubs
	scripts/bootstrap
	.venv/bin/uv lock --upgrade
	scripts/bootstrap
	scripts/gen_protos

lint:
	scripts/bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	scripts/bootstrap
	.venv/bin/mypy protocol node_runtime auth sequencer_chain domain_manager mediator participant ledger_client chaindomain

deep:            ## long fuzz and invariant runs of the ordering contract
	scripts/bootstrap
	FOUNDRY_PROFILE=deep node_modules/.bin/forge test

snapshot:        ## re-record .gas-snapshot
	scripts/bootstrap
	node_modules/.bin/forge snapshot

bench-chain:     ## gas per byte and throughput of full batches on anvil
	scripts/bootstrap
	.venv/bin/python scripts/bench_chain.py

bench-sequencer: ## envelopes/s, latency and gas per byte through one and two sequencer nodes
	scripts/bootstrap
	.venv/bin/python scripts/bench_sequencer.py

bench-ledger:    ## Iou transfers through the Ledger API on a local network at anvil --block-time 1
	scripts/bootstrap
	.venv/bin/python scripts/bench_ledger.py --network

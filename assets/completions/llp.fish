# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_llp_global_optspecs
    string join \n data-dir= config= models-dir= catalog= api= api-token= listen= join= model= paused= max-body-bytes= relay= threads= slots= ctx-size= queue-limit= network= network-secret= no-mdns= no-gossip= announce-interval-ms= peer-expiry-ms= challenge-interval-ms= engine= memory-limit= pipeline-stages= pipeline-checks= share-rate= auto-models= auto-models-disk= region= route= route-region= max-credits= max-ttft-ms= account-cert= keep-peer-text= contribute= auto-pause= hold-off= max-peer-jobs= threads-for-peers= peer-duty= theme= interval= ascii= mouse h/help V/version
end

function __fish_llp_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_llp_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_llp_using_subcommand
    set -l cmd (__fish_llp_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c llp -n "__fish_llp_needs_command" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_needs_command" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_needs_command" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_needs_command" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_needs_command" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_needs_command" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_needs_command" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_needs_command" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_needs_command" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_needs_command" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_needs_command" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_needs_command" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_needs_command" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_needs_command" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_needs_command" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_needs_command" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_needs_command" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_needs_command" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_needs_command" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_needs_command" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_needs_command" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_needs_command" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_needs_command" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_needs_command" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_needs_command" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_needs_command" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_needs_command" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_needs_command" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_needs_command" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_needs_command" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_needs_command" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_needs_command" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_needs_command" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_needs_command" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_needs_command" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_needs_command" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_needs_command" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_needs_command" -l theme -d 'Colour theme: dark, light, high-contrast, a name in the config dir\'s themes/, or a .toml file' -r
complete -c llp -n "__fish_llp_needs_command" -l interval -d 'How often the panes refresh (e.g. 500ms, 2s); at least 250ms' -r
complete -c llp -n "__fish_llp_needs_command" -l ascii -d 'ASCII borders and charts, for terminals without UTF-8 [default: on for TERM=linux or a non-UTF-8 locale]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_needs_command" -l mouse -d 'Capture the mouse (scrolls the focused pane); off by default so copy-paste works over SSH'
complete -c llp -n "__fish_llp_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_needs_command" -s V -l version -d 'Print version'
complete -c llp -n "__fish_llp_needs_command" -f -a "serve" -d 'Run the node, headless, in the foreground'
complete -c llp -n "__fish_llp_needs_command" -f -a "chat" -d 'One streamed answer to PROMPT; without PROMPT, a line-based conversation'
complete -c llp -n "__fish_llp_needs_command" -f -a "status" -d 'The node\'s snapshot: id, contribution, models, jobs, devices'
complete -c llp -n "__fish_llp_needs_command" -f -a "devices" -d 'This machine\'s capability profile'
complete -c llp -n "__fish_llp_needs_command" -f -a "models" -d 'The model catalog and what is present locally'
complete -c llp -n "__fish_llp_needs_command" -f -a "bench" -d 'Benchmarks: prompt and generation speed, time to first token, API throughput and latency'
complete -c llp -n "__fish_llp_needs_command" -f -a "invite" -d 'Print a ticket that another node passes to --join to enter this node\'s network'
complete -c llp -n "__fish_llp_needs_command" -f -a "demo" -d 'Start a real N-node network on 127.0.0.1 with the default model, and show it working'
complete -c llp -n "__fish_llp_needs_command" -f -a "ledger" -d 'The credit ledger: show, verify or export the chain'
complete -c llp -n "__fish_llp_needs_command" -f -a "account" -d 'An owner\'s fleet of nodes with one balance: create, add-node, revoke, show'
complete -c llp -n "__fish_llp_needs_command" -f -a "config" -d 'The settings in force, each with where it came from: flag, environment, file:line, default'
complete -c llp -n "__fish_llp_needs_command" -f -a "doctor" -d 'Check the node\'s setup and say how to fix what is wrong (exit 1 if anything is)'
complete -c llp -n "__fish_llp_needs_command" -f -a "service" -d 'Run the node as a systemd service: install, uninstall, show the unit'
complete -c llp -n "__fish_llp_needs_command" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish or powershell'
complete -c llp -n "__fish_llp_needs_command" -f -a "man" -d 'Print the man page (or write every page into a dir with --dir)'
complete -c llp -n "__fish_llp_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand serve" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand serve" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand serve" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand serve" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand serve" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand serve" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand serve" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand serve" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand chat" -l system -d 'A system message' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l max-tokens -d 'Most tokens in the answer' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l temperature -d 'Sampling temperature (0 = deterministic)' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l seed -d 'Sampling seed' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand chat" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand chat" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand chat" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand chat" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand chat" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand chat" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand chat" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand chat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand status" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand status" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand status" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand status" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand status" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand status" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand status" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand status" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand status" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand devices" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand devices" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand devices" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand devices" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand devices" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand devices" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand devices" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand devices" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand devices" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand devices" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -l json -d 'Print JSON (list)'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -f -a "list" -d 'The catalog, with what is present in the models dir'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -f -a "fetch" -d 'Download a model (resumes, verifies the sha256); without :QUANT, the best one that fits in RAM. When its hub cannot be reached, the peers that offer it are tried'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -f -a "path" -d 'Print the path of a model\'s file'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -f -a "quantize" -d 'Make a variant with llama.cpp\'s quantizer, from the variant the catalog names as its source (fetched first if missing); the result is checked against the catalog\'s sha256, or its hash recorded at first use where the catalog says "unknown"'
complete -c llp -n "__fish_llp_using_subcommand models; and not __fish_seen_subcommand_from list fetch path quantize help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -l from-peers -d 'Fetch from the network\'s peers that offer the file (BLAKE3-verified while streaming, from several at once), through the running node or one started for the fetch (with --join TICKET, or the peers it knew)'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l to -d 'The quantization to write (q8_0, q4_0, q4_k_m, ...)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from quantize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "list" -d 'The catalog, with what is present in the models dir'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "fetch" -d 'Download a model (resumes, verifies the sha256); without :QUANT, the best one that fits in RAM. When its hub cannot be reached, the peers that offer it are tried'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of a model\'s file'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "quantize" -d 'Make a variant with llama.cpp\'s quantizer, from the variant the catalog names as its source (fetched first if missing); the result is checked against the catalog\'s sha256, or its hash recorded at first use where the catalog says "unknown"'
complete -c llp -n "__fish_llp_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand bench" -l clients -d 'Concurrent API clients, one run per value' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l duration -d 'Seconds each client keeps sending requests (closed loop)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l max-tokens -d 'Tokens per answer in the API runs' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l pp -d 'Prompt tokens for the engine\'s prompt-processing run' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l tg -d 'Tokens for the engine\'s generation run' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l reps -d 'Repetitions of each engine run (the median is reported)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l url -d 'Benchmark this OpenAI-compatible server instead of an embedded node (API runs only)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l nodes -d 'Nodes online on average in the --sim runs, one run per value' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l minutes -d 'Simulated minutes of each --sim run' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l seed -d 'The --sim runs\' seed (the same seed, the same run)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l rate -d 'Requests an online node\'s user sends an hour in the --sim runs (the daily mean)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l design -d 'The designs the --sim runs compare, each in turn' -r -f -a "gossip\t'Every node announces itself to every node over one gossip topic each interval, keeps every peer and pings them all (the node up to llp/12)'
used-pings\t'Global gossip as before, but a node pings only the peers it uses and a rotating few (the node\'s `Table::due_for_ping`)'
providers\t'Providers publish records under their model\'s keys in the Kademlia table; requesters look them up and ping only the peers they use'"
complete -c llp -n "__fish_llp_using_subcommand bench" -l jobs -d 'Jobs the trust benchmark sends before the cheaters join' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l entries -d 'Entries in the chain the ledger benchmark verifies' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l embed-model -d 'The embedding model of the --features runs (`none`: no embedding runs)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l engines -d 'The engine and API runs once per engine, in this run, with each one\'s ratio to the first (e.g. `--engines llama,candle`)' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand bench" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand bench" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand bench" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand bench" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand bench" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand bench" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand bench" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand bench" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand bench" -l api-only -d 'Skip the engine runs'
complete -c llp -n "__fish_llp_using_subcommand bench" -l engine-only -d 'Skip the API runs'
complete -c llp -n "__fish_llp_using_subcommand bench" -l json -d 'Print only JSON'
complete -c llp -n "__fish_llp_using_subcommand bench" -l p2p -d 'The peer network\'s benchmarks instead: routing decisions with 10,000 peers, remote against local on loopback, and the failover gap (starts its own nodes on 127.0.0.1)'
complete -c llp -n "__fish_llp_using_subcommand bench" -l sim -d 'The network at internet scale instead: a discrete-event simulation of --nodes nodes (each count in turn) running the node\'s routing code, over --minutes simulated minutes'
complete -c llp -n "__fish_llp_using_subcommand bench" -l ledger -d 'The credit ledger\'s benchmarks instead: verification speed and durable appends'
complete -c llp -n "__fish_llp_using_subcommand bench" -l tui -d 'The terminal UI\'s benchmarks instead: frame time with 100 peers and 1,000 jobs, and the CPU an idle UI uses (runs a node and the UI in tmux for --duration seconds)'
complete -c llp -n "__fish_llp_using_subcommand bench" -l idle -d 'Contributing only what is idle, instead: what watching the conditions costs an idle node (for --duration seconds, against one that does not watch) and the time from the owner\'s load to a worker\'s last token for a peer (--reps hand-backs; starts its own nodes)'
complete -c llp -n "__fish_llp_using_subcommand bench" -l trust -d 'Verified work\'s benchmark instead: a network with honest workers and a cheater of each kind in turn (a build with the `fault-injection` feature only)'
complete -c llp -n "__fish_llp_using_subcommand bench" -l features -d 'The API extras\' benchmark instead: generation under a JSON-schema grammar and with logprobs against free generation, and embeddings\' throughput (on a node serving the first --model and --embed-model, or on --url)'
complete -c llp -n "__fish_llp_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand invite" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand invite" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand invite" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand invite" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand invite" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand invite" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand invite" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand invite" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand invite" -l no-secret -d 'Leave the network secret out of the ticket: the joiner then passes --network-secret'
complete -c llp -n "__fish_llp_using_subcommand invite" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand demo" -l nodes -d 'Nodes to start' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l requests -d 'Requests to send through the first node' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l node-slots -d 'Slots per node' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand demo" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand demo" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand demo" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand demo" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand demo" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand demo" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand demo" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand demo" -l once -d 'Exit after the requests instead of waiting for Ctrl-C'
complete -c llp -n "__fish_llp_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -f -a "show" -d 'The entries and the balance over time (the default)'
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -f -a "verify" -d 'Check every hash link, signature and counterparty signature; exit 3 naming the first bad entry'
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -f -a "export" -d 'Write the chain as JSON lines, ending with its signed head'
complete -c llp -n "__fish_llp_using_subcommand ledger; and not __fish_seen_subcommand_from show verify export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l file -d 'Check an export (from `llp ledger export`) instead of this node\'s chain' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l owner -d 'The node id the chain must belong to (hex)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -s o -l out -d 'Write to this file instead of standard output' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "show" -d 'The entries and the balance over time (the default)'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check every hash link, signature and counterparty signature; exit 3 naming the first bad entry'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the chain as JSON lines, ending with its signed head'
complete -c llp -n "__fish_llp_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -f -a "create" -d 'Create an owner key (the account\'s id is its public half)'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -f -a "add-node" -d 'Certify a node as a member: NODE_ID, or the node of --data-dir (whose data dir then holds the certificate)'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -f -a "revoke" -d 'Revoke a member: it no longer earns for, nor spends from, the account'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -f -a "show" -d 'The running node\'s account: its members and balance'
complete -c llp -n "__fish_llp_using_subcommand account; and not __fish_seen_subcommand_from create add-node revoke show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l key -d 'The owner key\'s file [default: owner.key in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l key -d 'The owner key\'s file [default: owner.key in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from add-node" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l key -d 'The owner key\'s file [default: owner.key in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an owner key (the account\'s id is its public half)'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "add-node" -d 'Certify a node as a member: NODE_ID, or the node of --data-dir (whose data dir then holds the certificate)'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a member: it no longer earns for, nor spends from, the account'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "show" -d 'The running node\'s account: its members and balance'
complete -c llp -n "__fish_llp_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand config" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand config" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand config" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand config" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand config" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand config" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand config" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand config" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand config" -l json -d 'Print JSON'
complete -c llp -n "__fish_llp_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand doctor" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand doctor" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand doctor" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand doctor" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand doctor" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand doctor" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand doctor" -l json -d 'Print JSON: every check with its level, detail and fix'
complete -c llp -n "__fish_llp_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -f -a "install" -d 'Write the systemd unit for this llp, then enable and start it (system-wide: as root)'
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -f -a "uninstall" -d 'Stop and disable the service and remove its unit (the node\'s data stays)'
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -f -a "show" -d 'Print the unit that install writes'
complete -c llp -n "__fish_llp_using_subcommand service; and not __fish_seen_subcommand_from install uninstall show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l user -d 'A user service (~/.config/systemd/user), run by the user\'s own systemd'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -l files-only -d 'Only write (or remove) the unit file; do not call systemctl'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l user -d 'A user service (~/.config/systemd/user), run by the user\'s own systemd'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l files-only -d 'Only write (or remove) the unit file; do not call systemctl'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l user -d 'A user service (~/.config/systemd/user), run by the user\'s own systemd'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -l files-only -d 'Only write (or remove) the unit file; do not call systemctl'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write the systemd unit for this llp, then enable and start it (system-wide: as root)'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Stop and disable the service and remove its unit (the node\'s data stays)'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the unit that install writes'
complete -c llp -n "__fish_llp_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand completions" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand completions" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand completions" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand completions" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand completions" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand completions" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand completions" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand completions" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand man" -l dir -d 'Write `llp.1` and a page per command (`llp-serve.1`, ...) into DIR instead of printing `llp.1`; install them into a `man1` dir (e.g. /usr/local/share/man/man1)' -r -F
complete -c llp -n "__fish_llp_using_subcommand man" -l data-dir -d 'Data dir: node key, databases, logs [default: the platform data dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand man" -l config -d 'Config file [default: config.toml in the platform config dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand man" -l models-dir -d 'Where GGUF models live [default: models/ in the platform cache dir]' -r -F
complete -c llp -n "__fish_llp_using_subcommand man" -l catalog -d 'A models.toml catalog to use instead of the built-in one' -r -F
complete -c llp -n "__fish_llp_using_subcommand man" -l api -d 'Address of the local HTTP API [default: 127.0.0.1:8686]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l api-token -d 'Bearer token the API requires (required when --api is not loopback)' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l listen -d 'P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l join -d 'Join the network of the node that printed this ticket (repeatable)' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l model -d 'Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l paused -d 'Start with contribution to others paused (`--paused=false` overrides the config file)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l max-body-bytes -d 'Largest request body the API accepts, in bytes [default: 1048576]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l relay -d 'Relay mode: default, disabled, or a relay URL' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l threads -d 'CPU threads for llama.cpp [default: physical cores]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l slots -d 'Requests decoded together per model [default: 4]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l ctx-size -d 'Context length of each slot in tokens [default: 2048]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l queue-limit -d 'Requests that may wait for a slot before new ones get 503 [default: 512]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l network -d 'Name of the network to join or create [default: public]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l network-secret -d 'Secret of a private network: only nodes that know it can join [default: none, open]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l no-mdns -d 'Turn off LAN discovery over mDNS' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l no-gossip -d 'Turn off announcements over the network-wide gossip topic: peers are found by provider records and lookups only (what a network of thousands of nodes wants)' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l announce-interval-ms -d 'How often the node announces itself to its peers, in ms [default: 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l peer-expiry-ms -d 'A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l challenge-interval-ms -d 'The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l engine -d 'Engine that computes the models: llama (llama.cpp) or candle [default: llama]' -r -f -a "llama\t'llama.cpp through llama-cpp-2'
candle\t'candle\'s quantized llama and qwen2 models'"
complete -c llp -n "__fish_llp_using_subcommand man" -l memory-limit -d 'Memory the models may use (e.g. `6GiB`; standing in for a GPU\'s memory): each `--model NAME` serves the best variant on disk that fits what is left [default: the free RAM]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l pipeline-stages -d 'Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends (embedding and output head) and peers run its layers, in at least this many stages (1: as few as fit; the candle engine computes it) [default: off]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l pipeline-checks -d 'The share of a pipeline\'s sequences whose stages another node checks, from 0 to 1 (a check costs one stage\'s share of the job more) [default: 0.1]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l share-rate -d 'The most this node sends a second of the model files peers fetch from it (e.g. `20MB`) [default: no limit]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l auto-models -d 'Load the models the network lacks: fetch (from peers first) and serve a model that requests wait for and no node serves, within --memory-limit (else the free RAM) and --auto-models-disk, unloading the least used such model when memory runs short' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l auto-models-disk -d 'The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`) [default: 20GiB]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l region -d 'The region this node announces (its operator\'s word: `eu-west`, `us`, ...), for peers whose policy requires one [default: none]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l route -d 'Where this node\'s own prompts may go: local (this machine), network (nodes that proved this private network\'s secret) or any [default: any]' -r -f -a "local\t'This machine only'
network\t'Nodes that proved this private network\'s secret'
any\t'Any node, and the paid fallback'"
complete -c llp -n "__fish_llp_using_subcommand man" -l route-region -d 'Send this node\'s prompts only to nodes that announce one of these regions (repeatable) [default: any region]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l max-credits -d 'The most credits a job of this node\'s may cost on the network [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l max-ttft-ms -d 'The longest expected time to a job\'s first token on a peer, in ms [default: no ceiling]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l account-cert -d 'This node\'s certificate of membership of an account (`llpcert1…`, from `llp account add-node`) [default: account.cert in the data dir, if there]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l keep-peer-text -d 'Keep the text of the prompts and answers this node serves for peers in its job log (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l contribute -d 'Contribute to peers only within these windows of local time, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE) [default: at any time]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l auto-pause -d 'Pause for peers by itself while other programs use the CPU or GPU, on battery, or when hot (each condition in the file\'s [idle] table; `--auto-pause=false` turns all off) [default: on]' -r -f -a "true\t''
false\t''"
complete -c llp -n "__fish_llp_using_subcommand man" -l hold-off -d 'How long a condition must stay clear before contributing resumes, e.g. `30s` (the file\'s `idle.hold_off`) [default: 30s]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l max-peer-jobs -d 'The most jobs this node runs for peers at once [default: one per slot]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l threads-for-peers -d 'The CPU threads\' worth of time peers\' jobs may use, of --threads [default: all]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -l peer-duty -d 'The share of the engine\'s time peers\' jobs may use, in percent: a duty cycle ("half my GPU") [default: 100]' -r
complete -c llp -n "__fish_llp_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "serve" -d 'Run the node, headless, in the foreground'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "chat" -d 'One streamed answer to PROMPT; without PROMPT, a line-based conversation'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "status" -d 'The node\'s snapshot: id, contribution, models, jobs, devices'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "devices" -d 'This machine\'s capability profile'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "models" -d 'The model catalog and what is present locally'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "bench" -d 'Benchmarks: prompt and generation speed, time to first token, API throughput and latency'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "invite" -d 'Print a ticket that another node passes to --join to enter this node\'s network'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "demo" -d 'Start a real N-node network on 127.0.0.1 with the default model, and show it working'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "ledger" -d 'The credit ledger: show, verify or export the chain'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "account" -d 'An owner\'s fleet of nodes with one balance: create, add-node, revoke, show'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "config" -d 'The settings in force, each with where it came from: flag, environment, file:line, default'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "doctor" -d 'Check the node\'s setup and say how to fix what is wrong (exit 1 if anything is)'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "service" -d 'Run the node as a systemd service: install, uninstall, show the unit'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish or powershell'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "man" -d 'Print the man page (or write every page into a dir with --dir)'
complete -c llp -n "__fish_llp_using_subcommand help; and not __fish_seen_subcommand_from serve chat status devices models bench invite demo ledger account config doctor service completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "list" -d 'The catalog, with what is present in the models dir'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "fetch" -d 'Download a model (resumes, verifies the sha256); without :QUANT, the best one that fits in RAM. When its hub cannot be reached, the peers that offer it are tried'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "path" -d 'Print the path of a model\'s file'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "quantize" -d 'Make a variant with llama.cpp\'s quantizer, from the variant the catalog names as its source (fetched first if missing); the result is checked against the catalog\'s sha256, or its hash recorded at first use where the catalog says "unknown"'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "show" -d 'The entries and the balance over time (the default)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "verify" -d 'Check every hash link, signature and counterparty signature; exit 3 naming the first bad entry'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "export" -d 'Write the chain as JSON lines, ending with its signed head'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "create" -d 'Create an owner key (the account\'s id is its public half)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "add-node" -d 'Certify a node as a member: NODE_ID, or the node of --data-dir (whose data dir then holds the certificate)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "revoke" -d 'Revoke a member: it no longer earns for, nor spends from, the account'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "show" -d 'The running node\'s account: its members and balance'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "install" -d 'Write the systemd unit for this llp, then enable and start it (system-wide: as root)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "uninstall" -d 'Stop and disable the service and remove its unit (the node\'s data stays)'
complete -c llp -n "__fish_llp_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "show" -d 'Print the unit that install writes'

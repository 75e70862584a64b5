# SPDX-License-Identifier: MIT
# bash completion for qsdr: commands, each command's options (read from its own --help, so they
# cannot drift), shipped flowgraph names, block types, model subcommands, ctl verbs, and files
# where a path is expected. `make install` puts it where bash-completion finds it; from a build
# tree: source apps/qsdr-completion.bash

_qsdr_words() { # the words qsdr prints in its first column (flowgraphs, blocks), comment lines skipped
    "$1" "${@:2}" 2>/dev/null | awk '!/^#/ && NF { print $1 }'
}

_qsdr() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} q=${COMP_WORDS[0]}
    local cmd=${COMP_WORDS[1]:-} sub=""
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        mapfile -t COMPREPLY < <(compgen -W "run flowgraphs blocks block ber ctl train model version --help" -- "$cur")
        return
    fi
    case $prev in # option values
        --csv|--json|--plot|--resume|--out|--ref)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --scheduler)
            mapfile -t COMPREPLY < <(compgen -W "threaded serial" -- "$cur"); return ;;
        --set|--sweep|--seed|--items|--seconds|--threads|--min-frame-errors|--max-frames|--max-seconds|--ber-floor|--at-ber|--at-fer|\
        --epochs|--bits|--steps|--timeout|--control|--control-curve-secret|--curve-server-key|--drain-timeout|--calibrate)
            return ;;
    esac
    case $cmd in
        model) sub=${COMP_WORDS[2]:-}
               if [ "$COMP_CWORD" -eq 2 ]; then
                   mapfile -t COMPREPLY < <(compgen -W "info eval quantize" -- "$cur"); return
               fi ;;
        train) [ "${COMP_WORDS[2]:-}" = ae ] && sub=ae ;;
    esac
    if [[ $cur == -* ]]; then
        local help
        # shellcheck disable=SC2086
        help=$("$q" $cmd $sub --help 2>/dev/null)
        mapfile -t COMPREPLY < <(compgen -W "$(grep -o -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)" -- "$cur")
        return
    fi
    case $cmd in
        run|ber) # a shipped flowgraph by name, or a file
            mapfile -t COMPREPLY < <(compgen -W "$(_qsdr_words "$q" flowgraphs)" -- "$cur"; compgen -f -- "$cur") ;;
        blocks|block)
            [ "$COMP_CWORD" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -W "$(_qsdr_words "$q" blocks)" -- "$cur") ;;
        ctl)
            if [ "$COMP_CWORD" -eq 2 ]; then
                mapfile -t COMPREPLY < <(compgen -W "keygen" -- "$cur")
            elif [ "$COMP_CWORD" -eq 3 ]; then
                mapfile -t COMPREPLY < <(compgen -W "get set list stats json" -- "$cur")
            fi ;;
        train)
            mapfile -t COMPREPLY < <([ "$COMP_CWORD" -eq 2 ] && compgen -W "ae" -- "$cur"; compgen -f -- "$cur") ;;
        model)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
}
complete -o filenames -F _qsdr qsdr

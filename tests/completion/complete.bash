# bash complete.bash LINE: prints the candidates bash offers at the end of
# LINE, one a line. bash-completion's loader finds the completion script by
# the command's name, in XDG_DATA_DIRS, as in an interactive shell.
source /usr/share/bash-completion/bash_completion || exit 2
line=$1
read -ra COMP_WORDS <<<"$line"
[[ $line == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
command=${COMP_WORDS[0]}
__load_completion "$command" || {
    echo "bash-completion found no completion for $command in XDG_DATA_DIRS=$XDG_DATA_DIRS" >&2
    exit 3
}
spec=$(complete -p "$command") || exit 3
function=${spec##* -F }
function=${function%% *}
"$function" "$command" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"

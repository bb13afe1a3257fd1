# sos report plugin for provision-journal, the first-boot provisioning journal.
# Installed by `make install-sos` into the directory sos loads its plugins
# from (sos/report/plugins/ of the Python that runs sos). Written for the
# plugin API that every sos 4.x shares (setup(), add_copy_spec,
# add_cmd_output, add_journal, add_forbidden_path), with the one option
# declared in both the 4.0 form and the PluginOpt form of later releases.
#
# Licensed under either of Apache License, Version 2.0 or MIT license at your
# option, as provision-journal.

import os

from sos.report.plugins import Plugin, RedHatPlugin, DebianPlugin, UbuntuPlugin

try:
    from sos.report.plugins import PluginOpt
except ImportError:  # sos 4.0 to 4.2: options are tuples
    PluginOpt = None

DEFAULT_JOURNAL = '/boot/provision-journal'


# One class per distribution family rather than IndependentPlugin: the
# Debian policy of sos 4.0 loads only DebianPlugin subclasses.
class ProvisionJournal(Plugin, RedHatPlugin, DebianPlugin, UbuntuPlugin):
    """The provisioning journal of the first boot (provision-journal): the
    journal file, the failure logs kept beside it, its status and dump, the
    configuration in force, and the journald entries. Never the copy of the
    provisioning config kept beside it, which holds secrets.
    """

    short_desc = 'first-boot provisioning journal (provision-journal)'
    plugin_name = 'provision_journal'
    profiles = ('boot', 'system')
    commands = ('provision-journal',)

    if PluginOpt is None:
        option_list = [
            ('journal', 'path of the provisioning journal', 'fast',
             DEFAULT_JOURNAL),
        ]
    else:
        option_list = [
            PluginOpt('journal', default=DEFAULT_JOURNAL,
                      desc='path of the provisioning journal'),
        ]

    def setup(self):
        journal = self.get_option('journal')
        if not journal or journal is True:
            journal = DEFAULT_JOURNAL
        directory, name = os.path.split(journal)
        # The kept copy of the config holds the provisioning secrets, and so
        # does the temporary file a cut left while it was carried back onto
        # a recreated /boot: never collected by this plugin.
        self.add_forbidden_path([
            os.path.join(directory, name + '.config'),
            os.path.join(directory, '.' + name + '.config.carried'),
        ])
        self.add_copy_spec([
            journal,
            # The failure log kept for the record that stopped provisioning.
            os.path.join(directory, name + '.failure-log'),
        ])
        # --journal names the file as it is: in the real root the boot
        # partition is mounted, and nothing else is mounted or written.
        self.add_cmd_output([
            'provision-journal --journal %s status --json' % journal,
            'provision-journal --journal %s status' % journal,
            'provision-journal --journal %s dump' % journal,
            'provision-journal --journal %s dump --json' % journal,
            'provision-journal config',
            'provision-journal config --json',
        ])
        self.add_journal(identifier='provision-journal', catalog=True)

# vim: set et ts=4 sw=4 :
